"""schema.execution.FastExecutor gives what graphql-core's own executor gives,
data and errors alike, including where a plain field's value is wrong: null for a
non-null field, a value its scalar refuses, an object of the wrong class, an error
below an object, and async resolvers under fast objects."""

from __future__ import annotations

import asyncio
import enum
import inspect
from typing import Any

import pytest
import strawberry
from graphql import OperationDefinitionNode, execute, parse

from schema import build_schema, plain_attribute_resolvers
from schema.compiled import compiled_executor
from schema.execution import FastExecutor, plans_for
from schema.internals import optimized_is_awaitable


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    name: str
    age: int
    colour: Colour | None


@strawberry.type
class Item:
    id: strawberry.ID
    label: str
    note: str | None
    owner: Person
    helper: Person | None

    @strawberry.field
    async def slow_label(self) -> str:
        await asyncio.sleep(0)
        return self.label.upper()

    @strawberry.field
    async def broken(self) -> str:
        raise ValueError("broken resolver")


@strawberry.type
class Holder:
    item: Item
    maybe: Item | None
    items: list[Item]


def good_person(name: str = "Ann") -> Person:
    return Person(name=name, age=30, colour=Colour.RED)


def item(**kw: Any) -> Item:
    values: dict[str, Any] = {"id": strawberry.ID("1"), "label": "one", "note": None, "owner": good_person(),
                              "helper": None}
    values.update(kw)
    return Item(**values)


class NotAPerson:
    name = "impostor"
    age = 1
    colour = None


HOLDERS: dict[str, Holder] = {}


@strawberry.type
class Query:
    @strawberry.field
    def holder(self, key: str) -> Holder | None:
        return HOLDERS[key]


def make_schema() -> Any:
    schema = strawberry.Schema(query=Query, types=[Person])
    plain_attribute_resolvers(schema)
    return schema._schema


SCHEMA = make_schema()
SELECTION = """{ label note owner { name age colour } helper { name } item2: owner { name } }"""
QUERY = parse(f"""query($k: String!) {{ holder(key: $k) {{
    item {SELECTION} maybe {SELECTION} items {{ id label owner {{ name }} }} }} }}""")
ASYNC_QUERY = parse("""query($k: String!) { holder(key: $k) {
    item { slowLabel note owner { name } } maybe { label broken owner { name } }
    items { slowLabel owner { age } } } }""")

CASES: dict[str, Holder] = {
    "fine": Holder(item=item(helper=good_person("Bo")), maybe=item(note="n"), items=[item(), item(label="two")]),
    "null where not allowed": Holder(item=item(label=None), maybe=item(owner=None), items=[item(owner=None)]),
    "refused by its scalar": Holder(item=item(owner=Person(name="A", age="old", colour=None)),  # type: ignore[arg-type]
                                    maybe=item(label=object()), items=[item()]),
    "wrong class": Holder(item=item(helper=NotAPerson()), maybe=item(owner=NotAPerson()),  # type: ignore[arg-type]
                          items=[item(owner=NotAPerson())]),  # type: ignore[arg-type]
    "missing attribute": Holder(item=item(), maybe=None, items=[]),
    # Values a scalar or enum coerces rather than passes (the compiled shapes skip the
    # coerce only for exactly a str, an int in range or an enum member).
    "coerced leaves": Holder(item=item(owner=Person(name="A", age=True, colour="BLUE")),  # type: ignore[arg-type]
                             maybe=item(label=7), items=[item(id=12)]),  # type: ignore[arg-type]
    "int out of range": Holder(item=item(owner=Person(name="A", age=2**40, colour=None)), maybe=None,
                               items=[item(owner=Person(name="B", age=-(2**31) - 1, colour=None))]),
}
del CASES["missing attribute"].item.note  # type: ignore[attr-defined]


class _Parsed:
    """What schema.compiled keeps its plans on (schema.execution's cached document)."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.compiled: Any = None


FAST = FastExecutor.for_schema(SCHEMA)
_COMPILED: dict[int, Any] = {}


def executor_for(document: Any, kind: str) -> Any:
    """graphql-core's own (None), FastExecutor, or the compiled plan of `document`
    (made once: later runs take what the first one memoized)."""
    if kind == "plain":
        return None
    if kind == "fast":
        return FAST
    if id(document) not in _COMPILED:
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        _COMPILED[id(document)] = compiled_executor(FAST, SCHEMA, _Parsed(document), operation, {})
    assert _COMPILED[id(document)] is not None
    return _COMPILED[id(document)]


async def run(document: Any, key: str, fast: bool | str) -> Any:
    kind = fast if isinstance(fast, str) else "fast" if fast else "plain"
    result = execute(SCHEMA, document, variable_values={"k": key}, is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                     executor_class=executor_for(document, kind))
    if inspect.isawaitable(result):
        result = await result
    errors = sorted((e.message, tuple(e.path or ())) for e in result.errors or [])
    return result.data, errors


# graphql-core's own executor drops a pending resolver's coroutine unawaited when a
# sibling's null propagates past it (seen with and without FastExecutor); the
# warning that garbage collection raises later is not this test's subject.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("document", [QUERY, ASYNC_QUERY], ids=["sync", "async"])
def test_same_result_as_graphql_core(case: str, document: Any) -> None:
    HOLDERS[case] = CASES[case]
    plain = asyncio.run(run(document, case, fast=False))
    fast = asyncio.run(run(document, case, fast=True))
    assert fast == plain
    if case not in ("fine", "coerced leaves"):
        assert plain[1], "each broken case produces errors"


# Plain attributes all the way down, `__typename` and lists included: the compiled
# plan builds these in one recursion (schema.compiled's shapes) and must hand every
# surprise back to graphql-core.
SHAPED = parse(f"""query($k: String!) {{ holder(key: $k) {{ __typename
    item {{ __typename {SELECTION} }} maybe {SELECTION} items {{ id label owner {{ __typename name }} }} }} }}""")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("document", [QUERY, ASYNC_QUERY, SHAPED], ids=["sync", "async", "shaped"])
def test_compiled_same_result_as_graphql_core(case: str, document: Any) -> None:
    HOLDERS[case] = CASES[case]
    plain = asyncio.run(run(document, case, fast=False))
    for _ in range(2):  # the second run takes the plan the first one made
        assert asyncio.run(run(document, case, fast="compiled")) == plain
    if document is not ASYNC_QUERY:
        shapes = [shape for _, shape in executor_for(document, "compiled").plan.shapes.values()]
        assert any(shape is not None for shape in shapes), "the plain selections are built from shapes"


def test_the_plans_cover_the_board_page() -> None:
    """The benchmark's board page: every field under its edges takes the short way."""
    plans = plans_for(build_schema()._schema)
    assert set(plans["Task"]) >= {"id", "title", "description", "status", "deadline", "version", "supervisor",
                                  "assignee"}
    assert set(plans["User"]) >= {"id", "email", "name"}
    assert set(plans["TaskEdge"]) == {"cursor", "node"}
    assert "board" not in plans["Task"] and "activity" not in plans["Task"]  # resolvers stay graphql-core's
