"""The GraphQL schema: Strawberry types and root operations, with graphql-core
resolvers patched where it pays.  Limits and the error policy are applied where
operations run, in `schema.execution.Operations` (HTTP and websockets alike)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.schema.config import StrawberryConfig

from schema.accounts import User
from schema.boards import Board
from schema.internals import core_schema, is_default_resolver, strawberry_field
from schema.live import live_event_resolver, viewer_event_resolver
from schema.root import Mutation, Query, Subscription
from schema.scalars import SCALAR_MAP
from schema.tasks import Task


def build_schema() -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Board, Task, User],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
    )
    plain_attribute_resolvers(schema)
    subscription = core_schema(schema).subscription_type
    if subscription is None:  # pragma: no cover - the schema defines it
        raise RuntimeError("the schema has no Subscription type")
    subscription.fields["boardEvents"].resolve = live_event_resolver
    subscription.fields["viewerEvents"].resolve = viewer_event_resolver
    return schema


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return getattr(source, name)

    resolve.plain_attribute = name  # type: ignore[attr-defined]  # read by schema.execution's leaf plans
    return resolve


def plain_attribute_resolvers(schema: strawberry.Schema) -> None:
    """A board page executes ~800 fields, most of them plain attributes. Strawberry
    resolves each through three Python calls (wrapper, get_result, default resolver);
    one getattr gives the same value.  Only fields with no resolver, no extension and
    no permission are touched."""
    for gql_type in core_schema(schema).type_map.values():
        if not isinstance(gql_type, GraphQLObjectType) or gql_type.name.startswith("__"):
            continue
        for gql_field in gql_type.fields.values():
            field = strawberry_field(gql_field)
            if (field is None or field.base_resolver is not None or field.extensions or field.permission_classes
                    or field.is_subscription or not is_default_resolver(gql_field.resolve)):
                continue
            gql_field.resolve = _attribute(field.python_name)
