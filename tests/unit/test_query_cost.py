"""The query cost limit (schema.cost, contract "Limits"): how a document is priced,
and that the documents our own clients send stay well under the limit."""

from __future__ import annotations

import ast
import re
import time
from pathlib import Path
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, GraphQLError, get_operation_ast, parse, print_ast, validate

from resolvers.label_store import MAX_LABELS_PER_TASK
from schema import build_schema
from schema.cost import PLAIN_LIST, query_cost
from schema.execution import Operations, Prepared
from taskboard.settings import Settings

REPO = Path(__file__).resolve().parents[2]
SHARED_BENCH = REPO.parent / "shared" / "bench"
LIMIT = 10_000
STRAWBERRY = build_schema()
SCHEMA = STRAWBERRY._schema


def operations(**kw: Any) -> Operations:
    """With the settings' defaults, but for `kw`."""
    names = ("max_depth", "max_aliases", "max_tokens", "max_cost")
    limits = {name: Settings.model_fields[name].default for name in names}
    caches = {"page_size": Settings.model_fields["max_page_size"].default,
              "cache_bytes": Settings.model_fields["document_cache_bytes"].default,
              "cache_document_chars": Settings.model_fields["document_cache_max_chars"].default}
    return Operations(STRAWBERRY, introspection=True, production=False, **{**limits, **caches, **kw})


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    doc = parse(query)
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = get_operation_ast(doc)
    assert operation is not None
    return query_cost(SCHEMA, fragments, operation, variables, page_size=100)[0]


def refused_cost(result: Prepared | list[GraphQLError]) -> int:
    assert isinstance(result, list), "the query was accepted"
    [error] = result
    assert error.extensions is not None and error.extensions["code"] == "BAD_USER_INPUT", error.extensions
    value: int = error.extensions["cost"]
    return value


TASKS_IN_TASKS = """query($n: Int) { board(id: "b") { tasks(first: 100) { edges { node {
  board { tasks(first: $n) { edges { node { id title } } } } } } } } }"""


def test_each_field_costs_the_lengths_of_the_lists_it_sits_in() -> None:
    # board, tasks, edges: 1 each; node, board, tasks, edges: 100 each; node, id, title: 100 * 7 each.
    assert cost(TASKS_IN_TASKS, {"n": 7}) == 3 + 4 * 100 + 3 * 700
    # pageInfo and totalCount are one value each, not one per item
    assert cost('{ board(id: "b") { tasks(first: 100) { totalCount pageInfo { hasNextPage } } } }') == 5
    # the viewer's boards count as one full page; other plain lists as PLAIN_LIST items
    assert cost("{ boards { id name } }") == 1 + 2 * 100
    assert cost('{ board(id: "b") { members { role } } }') == 2 + PLAIN_LIST
    # so many boards' pages of tasks are priced as such
    assert cost("{ boards { tasks(first: 100) { edges { node { id } } } } }") == 1 + 100 * (2 + 2 * 100)
    # an argument's default: tasks(first: 50)
    assert cost('{ board(id: "b") { tasks { edges { node { id } } } } }') == 3 + 2 * 50


def test_a_list_the_api_caps_counts_its_cap() -> None:
    # A task has at most MAX_LABELS_PER_TASK labels: a full board page may show every card's
    # labels (counted as a page of 100 each, this page alone would cost 50 * 301).
    query = '{ board(id: "b") { tasks(first: 50) { edges { node { id labels { id name color } } } } } }'
    assert cost(query) == 3 + 50 * (3 + MAX_LABELS_PER_TASK * 3)
    assert cost(query) < 10_000


def test_the_contract_example_is_refused_with_its_cost() -> None:
    ops = operations()
    result = ops.prepare(TASKS_IN_TASKS, None, {"n": 100})
    assert refused_cost(result) == 3 + 4 * 100 + 3 * 10_000


def test_variables_change_the_cost() -> None:
    ops = operations()
    assert isinstance(ops.prepare(TASKS_IN_TASKS, None, {"n": 30}), Prepared)  # 3 + 400 + 9,000
    assert refused_cost(ops.prepare(TASKS_IN_TASKS, None, {"n": 40})) == 12_403
    assert isinstance(ops.prepare(TASKS_IN_TASKS, None, {"n": 30}), Prepared)  # remembered per value
    # null and absent: the argument's default (50); the variable's own default when it has one
    assert refused_cost(ops.prepare(TASKS_IN_TASKS, None, {"n": None})) == 3 + 400 + 15_000
    assert refused_cost(ops.prepare(TASKS_IN_TASKS, None, {})) == 3 + 400 + 15_000
    with_default = TASKS_IN_TASKS.replace("$n: Int", "$n: Int = 5")
    assert isinstance(ops.prepare(with_default, None, {}), Prepared)
    assert refused_cost(ops.prepare(with_default, None, {"n": 60})) == 3 + 400 + 18_000


def test_fragments_are_counted_wherever_they_are_spread() -> None:
    named = """query { board(id: "b") { tasks(first: 100) { edges { node { ...T } } } } }
      fragment T on Task { board { ...B } }
      fragment B on Board { tasks(first: 100) { edges { node { id title } } } }"""
    inline = """query { board(id: "b") { tasks(first: 100) { edges { node { ... on Task { board {
      ... { tasks(first: 100) { edges { node { id title } } } } } } } } } } }"""
    plain = """query { board(id: "b") { tasks(first: 100) { edges { node { board {
      tasks(first: 100) { edges { node { id title } } } } } } } } }"""
    assert cost(named) == cost(inline) == cost(plain) == 3 + 400 + 30_000
    ops = operations()
    for query in (named, inline):
        assert refused_cost(ops.prepare(query, None)) == 30_403
    # one fragment spread many times counts each time
    twice = named.replace("...B } }", "...B again: tasks(first: 100) { edges { node { id } } } } }")
    assert cost(twice) == 3 + 400 + 30_000 + 100 * (2 + 200)


def test_a_fragment_cycle_or_a_wide_fragment_tree_is_priced_quickly() -> None:
    cyclic = """query { viewer { ...A } } fragment A on Viewer { user { id } ...B } fragment B on Viewer { ...A }"""
    doc = parse(cyclic)
    assert validate(SCHEMA, doc)  # refused by validation; pricing it still ends
    assert cost(cyclic) == 3
    # 2**40 paths through 40 fragments each spreading the next twice: priced once per fragment
    chain = ["query { viewer { ...F0 } }"] + [
        f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    ] + ["fragment F40 on Viewer { emailVerified }"]
    assert cost(" ".join(chain)) == 1 + 2**40


def test_a_wide_fragment_tree_is_validated_and_refused_quickly() -> None:
    """2**22 paths through 22 fragments (about 1 KB of text): the depth and alias
    rule walked each path (seconds, doubling with each fragment more)."""
    chain = ["query { viewer { ...F0 } }"] + [
        f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(22)
    ] + ["fragment F22 on Viewer { emailVerified }"]
    started = time.perf_counter()
    result = operations().prepare(" ".join(chain), None)
    assert time.perf_counter() - started < 1.0
    assert refused_cost(result) == 1 + 2**22


def test_a_huge_cost_is_reported_as_a_safe_integer() -> None:
    query = """query($n: Int) { board(id: "b") { tasks(first: $n) { edges { node {
      board { tasks(first: $n) { edges { node { id } } } } } } } } }"""
    result = operations().prepare(query, None, {"n": 2**31 - 1})
    assert refused_cost(result) == 2**53 - 1


# 10 deep; each event: 100 tasks of the board times their board's members (a page each)
EXPENSIVE_SUBSCRIPTION = """subscription($b: ID!) { boardEvents(boardId: $b) { task { board {
  tasks(first: 100) { edges { node { comments(first: 100) { edges { node { id } } } } } } } } } }"""


def test_subscriptions_are_priced_too() -> None:
    assert refused_cost(operations().prepare(EXPENSIVE_SUBSCRIPTION, None, {"b": "x"})) == 5 + 300 + 20_000
    assert isinstance(operations(max_cost=10**6).prepare(EXPENSIVE_SUBSCRIPTION, None, {"b": "x"}), Prepared)


def test_the_limit_is_a_setting() -> None:
    query = "{ boards { id name } }"
    assert isinstance(operations().prepare(query, None), Prepared)
    assert refused_cost(operations(max_cost=200).prepare(query, None)) == 201


# --- the documents our own clients send -------------------------------------------

def _ts_documents(path: Path) -> dict[str, str]:
    """The string constants of a TypeScript module, `${NAME}` substituted."""
    consts = {name: body for name, _, body in re.findall(r'const (\w+) = (["`])(.*?)\2;', path.read_text(), re.S)}
    for _ in range(5):  # constants built from constants
        consts = {k: _substitute(v, consts) for k, v in consts.items()}
    return consts


_LUA_TOKEN = re.compile(r"""--[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\.\.)|([\w.]+)|\S""")


def _substitute(text: str, consts: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: consts[m.group(1)], text)


def _lua_strings(path: Path) -> list[str]:
    """Each run of string literals joined with `..` (another operand, a variable, as
    `X`), or the GraphQL of the JSON body's "query" in it."""
    runs: list[str] = []
    joining = False
    for token in _LUA_TOKEN.finditer(path.read_text()):
        if token.group(0).startswith("--"):
            continue
        double, single, concat, word = token.group(1), token.group(2), token.group(3), token.group(4)
        text = double if double is not None else single
        if concat:
            joining = bool(runs)
            continue
        piece = text if text is not None else "X" if word else None
        if joining and piece is not None:
            runs[-1] += piece
        elif text is not None:
            runs.append(text)
        joining = False
    out = []
    for run in runs:
        inner = re.search(r'"query":"(.*?)","variables"', run)
        out.append(inner.group(1) if inner else run)
    return out


def _py_strings(path: Path) -> list[str]:
    return [node.value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def _graphql_documents(strings: list[str]) -> list[str]:
    docs = []
    for s in strings:
        s = s.replace('\\"', '"')
        if not re.match(r"\s*(query|mutation|subscription|\{\s*\w)", s):
            continue
        try:
            doc = parse(s)
        except GraphQLError:
            continue
        if not validate(SCHEMA, doc):
            docs.append(s)
    return docs


def client_documents() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, text in _ts_documents(REPO / "web" / "src" / "queries.ts").items():
        if re.match(r"\s*(query|mutation|subscription)\b", text):
            found[f"web {name}"] = text
    sources = [*sorted((REPO / "bench").glob("*.lua")), *sorted((REPO / "bench").glob("*.py"))]
    if SHARED_BENCH.is_dir():  # beside the checkout on CI and on developers' machines
        sources += [*sorted(SHARED_BENCH.glob("*.lua")), *sorted(SHARED_BENCH.glob("*.py"))]
    for path in sources:
        strings = _lua_strings(path) if path.suffix == ".lua" else _py_strings(path)
        for i, doc in enumerate(_graphql_documents(strings)):
            where = path.relative_to(REPO) if path.is_relative_to(REPO) else f"shared/bench/{path.name}"
            found[f"{where} #{i}"] = doc
    return found


DOCUMENTS = client_documents()


def test_the_client_documents_were_found() -> None:
    web = [k for k in DOCUMENTS if k.startswith("web ")]
    assert {"web BOARD", "web BOARD_TASKS_PAGE", "web BOARD_EVENTS", "web TASK_ACTIVITY"} <= set(web), web
    bench = [k for k in DOCUMENTS if "bench" in k]
    assert any("queries.lua" in k for k in bench) and any("mixed.lua" in k for k in bench), bench


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_client_documents_cost_under_half_the_limit(name: str) -> None:
    query = DOCUMENTS[name]
    # every Int variable at the page size: the most any of them asks for (bench PAGE=100)
    doc = parse(query)
    operation = get_operation_ast(doc)
    assert operation is not None
    variables = {d.variable.name.value: 100 for d in operation.variable_definitions or ()
                 if print_ast(d.type).startswith("Int")}
    price = cost(query, variables)
    assert price < LIMIT // 2, (name, price)
    assert isinstance(operations().prepare(query, None, variables), Prepared)
