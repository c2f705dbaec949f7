"""The GraphQL schema: types, root operations and the extensions that enforce
the contract's limits and error policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError, GraphQLObjectType
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext

from schema.limits import contract_errors, limits_rule
from schema.root import Mutation, Query, Subscription, live_event_resolver
from schema.scalars import SCALAR_MAP
from schema.types import Board, Task, User


class _ParserCache(ParserCache):
    """strawberry's ParserCache parses while entering the parsing hook, outside the
    error handling of the operation, so a syntax error (or the token limit) escaped
    the ContractErrors rewrite and reached the client without a code.  On an error
    leave the document unset: strawberry parses again inside its own handling."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        try:
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        except GraphQLError:
            ctx.graphql_document = None
        yield


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Expected errors (bad input, permissions, conflicts) are not server faults: the
        error policy (`schema.limits.contract_error`) logs the unexpected ones, once, with
        the request id.  Strawberry's default logs every error with a traceback."""


def build_schema(*, max_depth: int = 10, max_aliases: int = 30, max_tokens: int = 5000,
                 introspection: bool = True, production: bool = False) -> strawberry.Schema:
    rules: list[type[ASTValidationRule]] = [limits_rule(max_depth, max_aliases)]
    if not introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Board, Task, User],
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: _ParserCache(maxsize=512),
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=512),
            contract_errors(production),
        ],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
    _plain_attribute_resolvers(schema)
    subscription = schema._schema.subscription_type
    if subscription is None:  # pragma: no cover - the schema defines it
        raise RuntimeError("the schema has no Subscription type")
    subscription.fields["boardEvents"].resolve = live_event_resolver
    return schema


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    return resolve


def _plain_attribute_resolvers(schema: strawberry.Schema) -> None:
    """A board page executes ~800 fields, most of them plain attributes. Strawberry
    resolves each through three Python calls (wrapper, get_result, default resolver);
    one getattr gives the same value.  Only fields with no resolver, no extension and
    no permission are touched."""
    for gql_type in schema._schema.type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or gql_type.name.startswith("__"):
            continue
        for gql_field in gql_type.fields.values():
            field = (gql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if (field is None or field.base_resolver is not None or field.extensions or field.permission_classes
                    or field.is_subscription or not getattr(gql_field.resolve, "_is_default", False)):
                continue
            gql_field.resolve = _attribute(field.python_name)
