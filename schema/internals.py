"""The one module that reaches into Strawberry's and graphql-core's non-public
names; the rest of the project imports them from here.  Each assumption made
about them (names, attributes, method signatures) is checked by
tests/unit/test_internals.py, so an upgrade that breaks one fails there, by name.
pyproject.toml bounds both packages to the versions this was tested with."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import FieldNode, GraphQLField, GraphQLNamedType, GraphQLSchema
from graphql.execution.incremental.incremental_executor import IncrementalExecutor
from graphql.pyutils import Path, gather_with_cancel
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.resolvers import is_default_resolver
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.scalar import ScalarDefinition
from strawberry.utils.str_converters import to_camel_case

__all__ = [
    "IncrementalExecutor",
    "Path",
    "ScalarDefinition",
    "StrawberryField",
    "core_schema",
    "field_nodes",
    "gather_with_cancel",
    "is_default_resolver",
    "optimized_is_awaitable",
    "origin_class",
    "strawberry_field",
    "to_camel_case",
]


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema Strawberry built and executes against."""
    return schema._schema


def field_nodes(info: Any) -> list[FieldNode]:
    """The field nodes a Strawberry `Info` resolves (graphql-core's resolve info's)."""
    nodes: list[FieldNode] = info._raw_info.field_nodes
    return nodes


def strawberry_field(field: GraphQLField) -> StrawberryField | None:
    """The Strawberry field a graphql-core field was converted from."""
    found: StrawberryField | None = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return found


def origin_class(gql_type: GraphQLNamedType) -> type | None:
    """The Python class a Strawberry object type was made from."""
    definition = (gql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return getattr(definition, "origin", None)

