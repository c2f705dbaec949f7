"""What the code assumes about Strawberry's and graphql-core's non-public names
(imported in schema.internals only).  An upgrade that breaks an assumption fails
the test named for it, with a message saying what changed; then adapt
schema.internals (or the code the message names) and move the version bounds in
pyproject.toml to the versions it was tested with."""

from __future__ import annotations

import asyncio
import inspect
import tomllib
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path as FilePath
from typing import Any

import pytest
import strawberry
from graphql import FieldNode, GraphQLObjectType, GraphQLSchema, execute, parse
from packaging.requirements import Requirement

from schema import build_schema, internals
from schema.boards import Board
from schema.compiled import CompiledExecutor
from schema.fast import FastExecutor, plans_for
from schema.internals import field_nodes
from schema.scalars import SCALAR_MAP

BASE = internals.IncrementalExecutor
# The executor methods schema.fast and schema.compiled override or call, with the
# parameters they pass (positionally, so order matters as much as names).
EXECUTOR_METHODS = {
    "execute_fields": ["self", "parent_type", "source_value", "path", "grouped_field_set", "position_context"],
    "execute_collected_root_fields": ["self", "root_type", "root_value", "grouped_field_set", "serially",
                                      "new_defer_usages"],
    "collect_subfields": ["self", "return_type", "field_details_list"],
    "collect_and_execute_subfields": ["self", "return_type", "field_details_list", "path", "result",
                                      "position_context"],
    "handle_field_error": ["self", "raw_error", "return_type", "field_details_list", "path"],
    "settle_in_background": ["self", "awaitables"],
    "is_awaitable": ["value"],
}
PYPROJECT = FilePath(__file__).resolve().parents[2] / "pyproject.toml"


def _params(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.mark.parametrize("name", sorted(EXECUTOR_METHODS))
def test_incremental_executor_has_the_methods_used(name: str) -> None:
    method = getattr(BASE, name, None)
    assert method is not None, f"graphql-core's IncrementalExecutor no longer has {name} (schema.fast, schema.compiled)"
    assert _params(method) == EXECUTOR_METHODS[name], (
        f"IncrementalExecutor.{name}{inspect.signature(method)} changed; schema.fast/schema.compiled pass "
        f"{EXECUTOR_METHODS[name]}")


def test_is_awaitable_is_static() -> None:
    assert isinstance(inspect.getattr_static(BASE, "is_awaitable"), staticmethod), (
        "IncrementalExecutor.is_awaitable is no longer a staticmethod: self.is_awaitable(value) in schema.fast")


@pytest.mark.parametrize("cls", [FastExecutor, CompiledExecutor])
def test_every_override_matches_its_base(cls: type) -> None:
    for name, member in vars(cls).items():
        if name.startswith("__") or not callable(member) or not hasattr(BASE, name):
            continue
        assert name in EXECUTOR_METHODS, f"{cls.__name__}.{name} overrides graphql-core: list it in EXECUTOR_METHODS"
        assert _params(member) == _params(getattr(BASE, name)), (
            f"{cls.__name__}.{name} no longer matches IncrementalExecutor.{name}{inspect.signature(getattr(BASE, name))}")


def test_execute_takes_the_arguments_passed() -> None:
    params = inspect.signature(execute).parameters
    for name in ("executor_class", "is_awaitable", "hide_suggestions"):
        assert name in params, f"graphql.execute no longer takes {name} (schema.execution.Operations.run)"


def test_grouped_field_sets_map_names_to_field_details() -> None:
    """schema.fast and schema.compiled read `details[0].node.name.value` of each entry."""
    seen: list[Any] = []

    class Spy(BASE):  # type: ignore[misc, valid-type]
        def execute_fields(self, parent_type: Any, source_value: Any, path: Any, grouped_field_set: Any,
                           position_context: Any) -> Any:
            seen.append(grouped_field_set)
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

    @strawberry.type
    class Query:
        greeting: str = "hi"

    schema = internals.core_schema(strawberry.Schema(query=Query))
    result = execute(schema, parse("{ hello: greeting }"), root_value=Query(), executor_class=Spy)
    assert not inspect.isawaitable(result) and result.data == {"hello": "hi"}  # type: ignore[union-attr]
    assert seen, "IncrementalExecutor.execute_fields is no longer called for the root's fields"
    grouped = seen[0]
    assert isinstance(grouped, Mapping) and list(grouped) == ["hello"], "a grouped field set is no longer a mapping"
    node = grouped["hello"][0].node
    assert isinstance(node, FieldNode) and node.name.value == "greeting", "field details no longer carry .node"


def test_path_and_gather_with_cancel() -> None:
    path = internals.Path(internals.Path(None, "board", "Query"), 0, None)
    assert path.as_list() == ["board", 0], "graphql.pyutils.Path(prev, key, typename) changed"

    async def two() -> int:
        return 2

    assert asyncio.run(_gather(two)) == [2, 2], "graphql.pyutils.gather_with_cancel changed"


async def _gather(make: Any) -> Any:
    return await internals.gather_with_cancel(make(), make())


def test_optimized_is_awaitable() -> None:
    async def nothing() -> None:
        return None

    coroutine = nothing()
    try:
        assert internals.optimized_is_awaitable(coroutine) is True
        assert internals.optimized_is_awaitable(1) is False, "strawberry's optimized_is_awaitable changed"
    finally:
        coroutine.close()


def test_core_schema_and_definitions() -> None:
    served = build_schema()
    schema = internals.core_schema(served)
    assert isinstance(schema, GraphQLSchema), "strawberry.Schema._schema is no longer the graphql-core schema"
    board = schema.type_map["Board"]
    assert isinstance(board, GraphQLObjectType)
    assert internals.origin_class(board) is Board, "the definition backref no longer leads to the Python class"
    field = internals.strawberry_field(board.fields["tasks"])
    assert isinstance(field, internals.StrawberryField), "a graphql-core field no longer leads to its Strawberry field"
    for attribute in ("base_resolver", "extensions", "permission_classes", "is_subscription", "python_name"):
        assert hasattr(field, attribute), f"StrawberryField no longer has {attribute} (schema.plain_attribute_resolvers)"


def test_default_resolvers_are_recognised() -> None:
    """If Strawberry stops marking its default resolvers, no field would take the
    short way (schema.fast): slower, silently."""

    @strawberry.type
    class Query:
        plain: str = "x"

        @strawberry.field
        def computed(self) -> str:
            return "y"

    fields = internals.core_schema(strawberry.Schema(query=Query)).query_type.fields  # type: ignore[union-attr]
    assert internals.is_default_resolver(fields["plain"].resolve), "Strawberry's default resolver is not recognised"
    assert not internals.is_default_resolver(fields["computed"].resolve)
    plans = plans_for(internals.core_schema(build_schema()))
    assert "name" in plans.get("Board", {}), "build_schema no longer turns plain fields into attribute reads"


def test_scalars_and_names() -> None:
    assert all(isinstance(d, internals.ScalarDefinition) for d in SCALAR_MAP.values()), (
        "strawberry.scalar(...) no longer returns a ScalarDefinition (schema.scalars)")
    assert internals.to_camel_case("email_on_task_change") == "emailOnTaskChange"


@pytest.mark.parametrize("package", ["strawberry-graphql", "graphql-core"])
def test_installed_versions_are_the_tested_range(package: str) -> None:
    """pyproject.toml bounds both to the versions these tests passed with."""
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    requirement = next(Requirement(d) for d in deps if Requirement(d).name == package)
    installed = version(package)
    assert requirement.specifier.contains(installed), f"{package} {installed} is outside {requirement.specifier}"


def test_field_nodes_of_a_strawberry_info() -> None:
    """schema.internals.field_nodes reads the field nodes through Strawberry's Info
    (its `_raw_info`): a resolver sees the nodes of its own field."""
    seen: list[Any] = []

    @strawberry.type
    class Query:
        @strawberry.field
        def probe(self, info: strawberry.Info) -> int:
            seen.extend(field_nodes(info))
            return 1

    result = strawberry.Schema(query=Query).execute_sync("{ probe a: probe }")
    assert result.errors is None, "Info no longer carries graphql-core's resolve info as _raw_info"
    assert [node.name.value for node in seen] == ["probe", "probe"]
