from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import add_member, codes, create_task, new_board, update_task
from tests.conftest import Api

PAGE = """query($id: ID!, $first: Int, $after: String, $order: TaskOrder, $filter: TaskFilter) {
  board(id: $id) { tasks(first: $first, after: $after, orderBy: $order, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id title deadline status createdAt updatedAt } } } } }"""

FIELDS = ("DEADLINE", "CREATED_AT", "UPDATED_AT", "TITLE")

# (title, description, deadline, status, assignee index, supervisor index)
SPECS: list[tuple[str, str, str | None, str, int | None, int]] = [
    ("alpha", "first", "2030-01-05", "TODO", 0, 0),
    ("Alpha", "second", "2030-01-05", "DONE", 1, 0),
    ("ALPHA beta", "", None, "IN_PROGRESS", 0, 1),
    ("beta", "mentions ALPHA inside", "2030-01-01", "TODO", None, 1),
    ("gamma", "", "2030-02-01", "IN_REVIEW", 1, 0),
    ("100% done", "percent", "2030-01-10", "DONE", 0, 0),
    ("1000 done", "no percent sign", "2030-01-10", "DONE", 1, 1),
    ("snake_case", "", None, "TODO", 0, 0),
    ("snakeXcase", "", "2030-03-01", "TODO", None, 1),
    ("under_score in desc", "a_b", "2029-12-31", "IN_PROGRESS", 1, 0),
    ("zeta", "", None, "DONE", 0, 1),
    ("Zeta", "", "2030-01-05", "TODO", 1, 0),
    ("delta", "", "2030-01-20", "IN_REVIEW", None, 0),
    ("epsilon", "EPS", "2030-01-20", "TODO", 0, 1),
    ("eta", "", None, "IN_PROGRESS", 1, 1),
    ("theta", "", "2030-06-30", "DONE", 0, 0),
    ("iota", "", "2030-01-02", "TODO", None, 0),
    ("kappa", "", "2030-01-03", "TODO", 1, 1),
    ("lambda", "", "2030-01-04", "IN_REVIEW", 0, 0),
    ("mu", "", None, "TODO", None, 1),
    ("nu", "", "2030-01-05", "DONE", 1, 0),
    ("xi", "back\\slash", "2030-01-06", "TODO", 0, 1),
    ("omicron", "", "2030-01-07", "IN_PROGRESS", 1, 0),
    ("pi", "", "2030-01-08", "TODO", 0, 0),
    ("pi", "duplicate title", "2030-01-08", "TODO", 1, 1),
]


@dataclass
class Board:
    id: str
    token: str
    tasks: dict[str, dict[str, Any]]  # id -> spec-ish dict
    users: list[dict[str, Any]]


_cache: dict[Any, Board] = {}  # keyed by the app itself (a strong ref: no id() reuse across backends)


async def seeded(api: Api) -> Board:
    """One board of 25 varied tasks per app (backend); tests only read it."""
    key = api.app
    if key in _cache:
        return _cache[key]
    sup0 = await api.signup("SupZero")
    sup1 = await api.signup("SupOne")
    board = await new_board(api, sup0, "Paging")
    await add_member(api, sup0, board, sup1)
    users = [sup0, sup1]
    tasks: dict[str, dict[str, Any]] = {}
    for title, desc, deadline, status, assignee, supervisor in SPECS:
        t = await create_task(api, users[supervisor], board, title, description=desc, deadline=deadline,
                              status=status, assigneeId=users[assignee]["id"] if assignee is not None else None)
        tasks[t["id"]] = {"title": title, "description": desc, "deadline": deadline, "status": status,
                          "assignee": None if assignee is None else users[assignee]["id"],
                          "supervisor": users[supervisor]["id"]}
    # touch a few so UPDATED_AT differs from CREATED_AT order
    for tid in list(tasks)[::4]:
        await update_task(api, sup0, tid, description=tasks[tid]["description"] + " (edited)")
        tasks[tid]["description"] += " (edited)"
    _cache[key] = Board(board, sup0["token"], tasks, users)
    return _cache[key]


async def page(api: Api, b: Board, **kw: Any) -> dict[str, Any]:
    body = await api.gql(PAGE, {"id": b.id, **kw}, b.token)
    assert "errors" not in body, body
    conn: dict[str, Any] = body["data"]["board"]["tasks"]
    return conn


async def walk(api: Api, b: Board, size: int, **kw: Any) -> tuple[list[dict[str, Any]], list[int]]:
    nodes: list[dict[str, Any]] = []
    totals: list[int] = []
    after = None
    for _ in range(100):
        conn = await page(api, b, first=size, after=after, **kw)
        totals.append(conn["totalCount"])
        assert len(conn["edges"]) <= size
        nodes += [e["node"] for e in conn["edges"]]
        if conn["edges"]:
            assert conn["pageInfo"]["endCursor"] == conn["edges"][-1]["cursor"]
        if not conn["pageInfo"]["hasNextPage"]:
            return nodes, totals
        assert len(conn["edges"]) == size
        after = conn["pageInfo"]["endCursor"]
    raise AssertionError("pagination does not end")


def check_sorted(nodes: list[dict[str, Any]], field: str, desc: bool) -> None:
    key = {
        "DEADLINE": lambda n: n["deadline"] or "9999-12-31",
        "CREATED_AT": lambda n: n["createdAt"],
        "UPDATED_AT": lambda n: n["updatedAt"],
        "TITLE": None,  # collation is the database's (case-insensitive on MySQL)
    }[field]
    if key is None:
        return
    values = [key(n) for n in nodes]
    assert values == sorted(values, reverse=desc), (field, desc, values)


@pytest.mark.parametrize(("field", "direction"), list(itertools.product(FIELDS, ("ASC", "DESC"))))
async def test_walking_pages_of_4_equals_one_page_of_100(api: Api, field: str, direction: str) -> None:
    b = await seeded(api)
    order = {"field": field, "direction": direction}
    full = await page(api, b, first=100, order=order)
    assert full["totalCount"] == len(b.tasks) == 25
    assert full["pageInfo"]["hasNextPage"] is False
    ids = [e["node"]["id"] for e in full["edges"]]
    assert sorted(ids) == sorted(b.tasks)
    check_sorted([e["node"] for e in full["edges"]], field, direction == "DESC")
    walked, totals = await walk(api, b, 4, order=order)
    assert [n["id"] for n in walked] == ids
    assert totals == [25] * 7
    # the two directions are each other's reverse (ties broken by id both ways)
    other = await page(api, b, first=100, order={"field": field, "direction": "ASC" if direction == "DESC" else "DESC"})
    assert [e["node"]["id"] for e in other["edges"]] == ids[::-1]


def expected_ids(b: Board, f: dict[str, Any]) -> set[str]:
    out = set()
    for tid, t in b.tasks.items():
        if "status" in f and t["status"] not in f["status"]:
            continue
        if "assigneeId" in f and t["assignee"] != f["assigneeId"]:
            continue
        if "supervisorId" in f and t["supervisor"] != f["supervisorId"]:
            continue
        if "dueBefore" in f and (t["deadline"] is None or t["deadline"] > f["dueBefore"]):
            continue
        if "dueAfter" in f and (t["deadline"] is None or t["deadline"] < f["dueAfter"]):
            continue
        if "search" in f and f["search"].lower() not in (t["title"] + "\n" + t["description"]).lower():
            continue
        out.add(tid)
    return out


FILTERS: dict[str, Any] = {
    "status": lambda b: {"status": ["TODO", "DONE"]},
    "assignee": lambda b: {"assigneeId": b.users[1]["id"]},
    "supervisor": lambda b: {"supervisorId": b.users[0]["id"]},
    # boundaries no task has, so inclusive and exclusive readings agree
    "dueBefore": lambda b: {"dueBefore": "2030-01-09"},
    "dueAfter": lambda b: {"dueAfter": "2030-01-09"},
    "due window": lambda b: {"dueAfter": "2030-01-09", "dueBefore": "2030-01-21"},
    "search case": lambda b: {"search": "aLpHa"},
    "search percent": lambda b: {"search": "%"},
    "search underscore": lambda b: {"search": "_"},
    "search backslash": lambda b: {"search": "\\"},
    "search nothing": lambda b: {"search": "no-such-text"},
    "combined": lambda b: {"status": ["TODO"], "assigneeId": b.users[0]["id"], "search": "a"},
}


@pytest.mark.parametrize("name", list(FILTERS))
async def test_filters_page_consistently(api: Api, name: str) -> None:
    b = await seeded(api)
    f = FILTERS[name](b)
    want = expected_ids(b, f)
    if name.startswith("search") and name != "search nothing":
        assert want, "the fixture should contain matches"
    if name == "search percent":
        assert {b.tasks[i]["title"] for i in want} == {"100% done"}
    if name == "search underscore":
        assert {b.tasks[i]["title"] for i in want} == {"snake_case", "under_score in desc"}
    for order in ({"field": "DEADLINE", "direction": "ASC"}, {"field": "TITLE", "direction": "DESC"}):
        full = await page(api, b, first=100, order=order, filter=f)
        ids = [e["node"]["id"] for e in full["edges"]]
        assert set(ids) == want, (name, sorted(b.tasks[i]["title"] for i in set(ids) ^ want))
        assert len(ids) == len(set(ids)) == full["totalCount"]
        walked, totals = await walk(api, b, 4, order=order, filter=f)
        assert [n["id"] for n in walked] == ids
        assert set(totals) == {len(want)}


async def test_a_cursor_belongs_to_its_ordering(api: Api) -> None:
    b = await seeded(api)
    first = await page(api, b, first=4, order={"field": "TITLE", "direction": "ASC"})
    cursor = first["pageInfo"]["endCursor"]
    assert cursor
    # the same ordering accepts it
    assert len((await page(api, b, first=4, after=cursor, order={"field": "TITLE", "direction": "ASC"}))["edges"]) == 4
    for order in ({"field": "TITLE", "direction": "DESC"}, {"field": "DEADLINE", "direction": "ASC"},
                  {"field": "CREATED_AT", "direction": "ASC"}, None):
        body = await api.gql(PAGE, {"id": b.id, "first": 4, "after": cursor, "order": order}, b.token)
        assert codes(body) == ["BAD_USER_INPUT"], (order, body)
        assert body["data"] in (None, {"board": None}) or body["data"]["board"]["tasks"] is None


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage", "!!!!", "", "====", "\u00e9\u00e9", b64(b"not json"), b64(b"{}"), b64(b"[]"), b64(b"null"),
    b64(json.dumps(["t:TITLE:A", 5, "tsk_x"]).encode()),
    b64(json.dumps(["t:TITLE:A", "x", 7]).encode()),
    b64(json.dumps(["t:DEADLINE:A", "not-a-date", "tsk_x"]).encode()),
    b64(json.dumps(["t:DEADLINE:A", {"a": 1}, "tsk_x"]).encode()),
    b64(json.dumps(["t:CREATED_AT:A", "yesterday", "tsk_x"]).encode()),
    b64(json.dumps(["t:CREATED_AT:A", "2030-01-01T00:00:00", "tsk_x"]).encode()),
    b64(json.dumps(["t:CREATED_AT:A", "2030-01-01T00:00:00+00:00", "tsk_x", "extra"]).encode()),
])
async def test_garbage_cursor_is_bad_user_input(api: Api, cursor: str) -> None:
    b = await seeded(api)
    tag_order = {"field": "CREATED_AT", "direction": "ASC"}
    for order in (tag_order, {"field": "TITLE", "direction": "ASC"}, {"field": "DEADLINE", "direction": "ASC"}):
        body = await api.gql(PAGE, {"id": b.id, "first": 4, "after": cursor, "order": order}, b.token)
        if cursor == "" and "errors" not in body:
            continue  # an empty `after` may read as "from the start"
        assert codes(body) == ["BAD_USER_INPUT"], (cursor, order, body)


async def test_page_size_bounds(api: Api) -> None:
    b = await seeded(api)
    for first in (101, -1, 1000):
        body = await api.gql(PAGE, {"id": b.id, "first": first}, b.token)
        assert codes(body) == ["BAD_USER_INPUT"], (first, body)
        body = await api.gql("query($f: Int) { myTasks(first: $f) { totalCount } }", {"f": first}, b.token)
        assert codes(body) == ["BAD_USER_INPUT"], (first, body)
        body = await api.gql("query($id: ID!, $f: Int) { board(id: $id) { activity(first: $f) { edges { cursor } } } }",
                             {"id": b.id, "f": first}, b.token)
        assert codes(body) == ["BAD_USER_INPUT"], (first, body)
    empty = await page(api, b, first=0)
    assert empty["edges"] == [] and empty["totalCount"] == 25
    full = await page(api, b, first=100)
    assert len(full["edges"]) == 25
    default = await page(api, b)
    assert len(default["edges"]) == 25


@pytest.mark.parametrize("cursor", ["garbage", b64(b"seq:abc"), b64(b"seq:-1"), b64(json.dumps(["t:TITLE:A", "x", "y"]).encode())])
async def test_garbage_activity_cursor_is_bad_user_input(api: Api, cursor: str) -> None:
    b = await seeded(api)
    body = await api.gql("""query($id: ID!, $after: String) { board(id: $id) { activity(first: 3, after: $after) {
        edges { cursor } } } }""", {"id": b.id, "after": cursor}, b.token)
    assert codes(body) == ["BAD_USER_INPUT"], body
    # and a task cursor is no activity cursor, nor the other way round
    act = await api.ok("""query($id: ID!) { board(id: $id) { activity(first: 1) { pageInfo { endCursor } } } }""",
                       {"id": b.id}, b.token)
    act_cursor = act["board"]["activity"]["pageInfo"]["endCursor"]
    body = await api.gql(PAGE, {"id": b.id, "first": 3, "after": act_cursor}, b.token)
    assert codes(body) == ["BAD_USER_INPUT"], body


# The edges' cursors are made only when the selection may read them (schema.tasks
# `selects_edge_cursor`); every way of asking for them must still get them.
_TASKS = "query($id: ID!) { board(id: $id) { tasks(first: 6) { %s } } }"
CURSOR_SHAPES = {
    "named": _TASKS % "edges { cursor node { id } }",
    "aliased": _TASKS % "edges { c: cursor node { id } }",
    "in a fragment": _TASKS % "edges { ...E }" + " fragment E on TaskEdge { cursor node { id } }",
    "inline fragment": _TASKS % "edges { ... on TaskEdge { cursor node { id } } }",
    "edges in a fragment": _TASKS % "...C" + " fragment C on TaskConnection { edges { cursor node { id } } }",
}


@pytest.mark.parametrize("shape", list(CURSOR_SHAPES))
async def test_edge_cursors_whichever_way_they_are_asked(api: Api, shape: str) -> None:
    b = await seeded(api)
    full = await page(api, b, first=6)
    expected = [e["cursor"] for e in full["edges"]]
    assert all(expected)
    body = await api.gql(CURSOR_SHAPES[shape], {"id": b.id}, b.token)
    assert "errors" not in body, body
    edges = body["data"]["board"]["tasks"]["edges"]
    assert [e.get("cursor", e.get("c")) for e in edges] == expected


async def test_end_cursor_without_edge_cursors_walks_on(api: Api) -> None:
    """The web board's page: no edge cursor, only pageInfo's; the next page follows on."""
    b = await seeded(api)
    query = """query($id: ID!, $after: String) { board(id: $id) { tasks(first: 4, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { id } } } } }"""
    ids: list[str] = []
    after = None
    for _ in range(10):
        body = await api.gql(query, {"id": b.id, "after": after}, b.token)
        conn = body["data"]["board"]["tasks"]
        ids += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    full = await page(api, b, first=100)
    assert ids == [e["node"]["id"] for e in full["edges"]]
