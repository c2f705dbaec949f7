"""The GraphQL schema: types, root operations and the extensions that enforce
the contract's limits and error policy."""

from __future__ import annotations

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from schema.limits import contract_errors, limits_rule
from schema.scalars import SCALAR_MAP
from schema.root import Mutation, Query, Subscription
from schema.types import Board, Task, User


def build_schema(*, max_depth: int = 10, max_aliases: int = 30, max_tokens: int = 5000,
                 introspection: bool = True, production: bool = False) -> strawberry.Schema:
    rules = [limits_rule(max_depth, max_aliases)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Board, Task, User],
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: ParserCache(maxsize=512),
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=512),
            contract_errors(production),
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
