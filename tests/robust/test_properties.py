"""Property tests (hypothesis) over the HTTP API: pagination, seq, version and
the permission matrix; the consistency checker runs after each."""

from __future__ import annotations

import asyncio
import os
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import (
    ADD_MEMBER,
    CREATE_BOARD,
    CREATE_TASK,
    DELETE_TASK,
    REMOVE_MEMBER,
    UPDATE_TASK,
    codes,
    runtime_of,
)
from tests.conftest import Api
from tests.robust.consistency import assert_consistent

PROPS = settings(deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])

_users: dict[str, list[dict[str, Any]]] = {}


async def people(api: Api, n: int = 4) -> list[dict[str, Any]]:
    """Users signed up once per database (argon2 is the slow part of a sign-up)."""
    key = str(id(api.app))
    if key not in _users:
        _users[key] = [await api.signup(f"P{i}") for i in range(n)]
    return _users[key]


async def new_board(api: Api, owner: dict[str, Any], members: list[dict[str, Any]]) -> str:
    board = (await api.ok(CREATE_BOARD, {"n": "Props"}, owner["token"]))["createBoard"]["id"]
    for m in members:
        await api.ok(ADD_MEMBER, {"b": board, "e": m["email"], "r": "MEMBER"}, owner["token"])
    return str(board)


async def consistent(api: Api, *boards: str) -> None:
    await assert_consistent(runtime_of(api.app).engine, boards)


# -- pagination ---------------------------------------------------------------

STATUSES = ["TODO", "IN_PROGRESS", "IN_REVIEW", "DONE"]
WORDS = ["alpha", "beta", "Gamma", "delta", "ALPHA beta", "a_b", "50%", "x"]
BASE = date(2030, 1, 1)

task_spec = st.fixed_dictionaries({
    "title": st.sampled_from(WORDS),  # few titles: many ties for TITLE ordering
    "description": st.sampled_from(["", "alpha", "note"]),
    "status": st.sampled_from(STATUSES),
    "deadline": st.one_of(st.none(), st.integers(0, 5).map(lambda d: (BASE + timedelta(days=d)).isoformat())),
    "assignee": st.integers(0, 2),  # 0: nobody, 1: the owner, 2: the member
})
filters = st.fixed_dictionaries({}, optional={
    "status": st.lists(st.sampled_from(STATUSES), max_size=3, unique=True),
    "assignee": st.integers(1, 2),
    "dueBefore": st.integers(0, 6),
    "dueAfter": st.integers(-1, 5),
    "search": st.sampled_from(["alpha", "BETA", "a", "_", "%", "zzz", " ga"]),
})
orders = st.one_of(st.none(), st.fixed_dictionaries({
    "field": st.sampled_from(["DEADLINE", "CREATED_AT", "UPDATED_AT", "TITLE"]),
    "direction": st.sampled_from(["ASC", "DESC"]),
}))

PAGE = """query($b: ID!, $f: TaskFilter, $o: TaskOrder, $n: Int, $a: String) { board(id: $b) {
  tasks(filter: $f, orderBy: $o, first: $n, after: $a) { totalCount edges { cursor node { id title deadline
  status description assignee { id } } } pageInfo { hasNextPage endCursor } } } }"""


def oracle(tasks: list[dict[str, Any]], f: dict[str, Any]) -> set[str]:
    out = set()
    for t in tasks:
        if "status" in f and t["status"] not in f["status"]:
            continue
        if "assigneeId" in f and (t["assignee"] or {}).get("id") != f["assigneeId"]:
            continue
        if "dueBefore" in f and not (t["deadline"] and t["deadline"] < f["dueBefore"]):
            continue
        if "dueAfter" in f and not (t["deadline"] and t["deadline"] > f["dueAfter"]):
            continue
        if f.get("search") and f["search"].strip().lower() not in (t["title"] + "\n").lower() \
                and f["search"].strip().lower() not in t["description"].lower():
            continue
        out.add(t["id"])
    return out


# `make test` walks TASKBOARD_TEST_PAGINATION_EXAMPLES task sets (default 40); `make fuzz` 100.
PAGINATION_EXAMPLES = int(os.environ.get("TASKBOARD_TEST_PAGINATION_EXAMPLES", "40"))


@settings(PROPS, max_examples=PAGINATION_EXAMPLES)
@given(specs=st.lists(task_spec, min_size=0, max_size=14), data=st.data())
async def test_pagination_never_repeats_or_skips(api: Api, specs: list[dict[str, Any]], data: st.DataObject
                                                 ) -> None:
    owner, member = (await people(api))[:2]
    board = await new_board(api, owner, [member])
    who = {0: None, 1: owner["id"], 2: member["id"]}
    for spec in specs:
        fields = {"boardId": board, "title": spec["title"], "description": spec["description"],
                  "status": spec["status"], "deadline": spec["deadline"], "assigneeId": who[spec["assignee"]]}
        await api.ok(CREATE_TASK, {"i": fields}, owner["token"])
    for _ in range(3):  # several filter/order combinations on the same task set
        raw = data.draw(filters, label="filter")
        f: dict[str, Any] = {}
        for k, v in raw.items():
            if k == "assignee":
                f["assigneeId"] = who[v]
            elif k in ("dueBefore", "dueAfter"):
                f[k] = (BASE + timedelta(days=v)).isoformat()
            else:
                f[k] = v
        order = data.draw(orders, label="order")
        big = (await api.ok(PAGE, {"b": board, "f": f, "o": order, "n": 100}, owner["token"]))["board"]["tasks"]
        everything = [e["node"] for e in big["edges"]]
        assert not big["pageInfo"]["hasNextPage"]
        assert big["totalCount"] == len(everything)
        all_tasks = (await api.ok(PAGE, {"b": board, "n": 100}, owner["token"]))["board"]["tasks"]["edges"]
        assert {t["id"] for t in everything} == oracle([e["node"] for e in all_tasks], f), (f, order)
        if order and order["field"] == "DEADLINE":
            keys = [t["deadline"] or "9999-12-31" for t in everything]
            assert keys == sorted(keys, reverse=order["direction"] == "DESC")
        walked: list[str] = []
        after = None
        for _step in range(len(everything) + 2):
            n = data.draw(st.integers(1, 5), label="page size")
            page = (await api.ok(PAGE, {"b": board, "f": f, "o": order, "n": n, "a": after},
                                 owner["token"]))["board"]["tasks"]
            walked += [e["node"]["id"] for e in page["edges"]]
            assert page["totalCount"] == len(everything)
            if not page["pageInfo"]["hasNextPage"]:
                break
            assert page["edges"], "hasNextPage on an empty page"
            after = page["pageInfo"]["endCursor"]
        else:
            raise AssertionError("pagination did not end")
        assert walked == [t["id"] for t in everything], (f, order)
    await consistent(api, board)


# -- seq under concurrent writers ---------------------------------------------

ops = st.lists(st.sampled_from(["create", "update", "update", "delete", "add", "remove", "noop"]),
               min_size=5, max_size=25)


@settings(PROPS, max_examples=15)
@given(plan=ops, writers=st.integers(2, 4))
async def test_seq_gap_free_under_concurrent_writers(api: Api, plan: list[str], writers: int) -> None:
    owner, a, b, c = await people(api)
    board = await new_board(api, owner, [a, b])
    seed = [(await api.ok(CREATE_TASK, {"i": {"boardId": board, "title": f"s{i}"}}, owner["token"]))["createTask"]
            for i in range(3)]
    members = [owner, a, b]

    async def one(i: int, op: str) -> None:
        user = members[i % writers % 3]
        task = seed[i % len(seed)]
        if op == "create":
            await api.gql(CREATE_TASK, {"i": {"boardId": board, "title": f"c{i}", "assigneeId": a["id"]}},
                          user["token"])
        elif op == "update":
            await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": f"u{i}", "status": STATUSES[i % 4]}},
                          owner["token"])
        elif op == "delete":
            await api.gql(DELETE_TASK, {"id": task["id"]}, owner["token"])
        elif op == "add":
            who = (c, a)[i % 2]
            await api.gql(ADD_MEMBER, {"b": board, "e": who["email"], "r": "MEMBER"}, owner["token"])
        elif op == "remove":  # removing `a` unassigns its tasks: several seqs in one transaction
            await api.gql(REMOVE_MEMBER, {"b": board, "u": (c, a)[i % 2]["id"]}, owner["token"])
        else:
            await api.gql(UPDATE_TASK, {"id": task["id"], "i": {}}, owner["token"])

    await asyncio.gather(*(one(i, op) for i, op in enumerate(plan)))
    last = (await api.ok("query($b: ID!) { board(id: $b) { lastSeq } }", {"b": board},
                         owner["token"]))["board"]["lastSeq"]
    assert last >= 3
    await consistent(api, board)


# -- version -----------------------------------------------------------------

change = st.fixed_dictionaries({}, optional={
    "title": st.sampled_from(["one", "two", "two"]),
    "description": st.sampled_from(["", "d"]),
    "status": st.sampled_from(STATUSES),
    "deadline": st.one_of(st.none(), st.sampled_from(["2030-01-01", "2030-01-02"])),
    "assigneeId": st.one_of(st.none(), st.just("member")),
    "expectedVersion": st.integers(0, 8),
})


@settings(PROPS, max_examples=25)
@given(changes=st.lists(change, min_size=1, max_size=10))
async def test_version_grows_by_one_per_change(api: Api, changes: list[dict[str, Any]]) -> None:
    owner, member = (await people(api))[:2]
    board = await new_board(api, owner, [member])
    task = (await api.ok(CREATE_TASK, {"i": {"boardId": board, "title": "one"}}, owner["token"]))["createTask"]
    assert task["version"] == 1
    state = {"title": "one", "description": "", "status": "TODO", "deadline": None, "assigneeId": None}
    version = 1
    for ch in changes:
        ch = {k: (member["id"] if v == "member" else v) for k, v in ch.items()}
        body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": ch}, owner["token"])
        expected = ch.pop("expectedVersion", None)
        if expected is not None and expected != version:
            assert codes(body) == ["CONFLICT"], body
            assert body["errors"][0]["extensions"].get("currentVersion") == version
            continue
        assert "errors" not in body, body
        got = body["data"]["updateTask"]
        differs = any(state[k] != v for k, v in ch.items())
        version += 1 if differs else 0
        state.update(ch)
        assert got["version"] == version, (ch, got)
        assert (got["assignee"] or {}).get("id") == state["assigneeId"]
        assert got["title"] == state["title"] and got["status"] == state["status"]
    await consistent(api, board)


# -- permissions ------------------------------------------------------------------

ROLES = ["owner", "member", "supervisor", "assignee", "outsider"]
OPERATIONS = ["readBoard", "readTask", "createTask", "updateTask", "deleteTask", "addMember", "removeMember",
              "readActivity", "nodeLookup"]


def allowed(role: str, op: str) -> str | None:
    """The contract's matrix: None when allowed, else the error code.

    Boards are private to their members (NOT_FOUND for others, never FORBIDDEN).
    Any member may create tasks and read everything on the board.  The task's
    supervisor, its assignee and the board's owners may update it; its
    supervisor and the owners may delete it.  Only owners manage members."""
    if role == "outsider":
        return "NOT_FOUND"
    if op in ("readBoard", "readTask", "createTask", "readActivity", "nodeLookup"):
        return None
    if op == "updateTask":
        return None if role in ("owner", "supervisor", "assignee") else "FORBIDDEN"
    if op == "deleteTask":
        return None if role in ("owner", "supervisor") else "FORBIDDEN"
    return None if role == "owner" else "FORBIDDEN"  # addMember, removeMember


async def attempt(api: Api, op: str, user: dict[str, Any], board: str, task: str, extra: dict[str, Any]
                  ) -> dict[str, Any]:
    t = user["token"]
    if op == "readBoard":
        return await api.gql("query($b: ID!) { board(id: $b) { id name members { role } } }", {"b": board}, t)
    if op == "readTask":
        return await api.gql("query($t: ID!) { task(id: $t) { id title } }", {"t": task}, t)
    if op == "readActivity":
        return await api.gql("query($b: ID!) { board(id: $b) { activity { edges { node { kind } } } } }",
                             {"b": board}, t)
    if op == "nodeLookup":  # node() resolves the board for members only
        return await api.gql("query($b: ID!) { node(id: $b) { id } }", {"b": board}, t)
    if op == "createTask":
        return await api.gql(CREATE_TASK, {"i": {"boardId": board, "title": "new"}}, t)
    if op == "updateTask":
        return await api.gql(UPDATE_TASK, {"id": task, "i": {"title": "changed"}}, t)
    if op == "deleteTask":
        return await api.gql(DELETE_TASK, {"id": task}, t)
    if op == "addMember":
        return await api.gql(ADD_MEMBER, {"b": board, "e": extra["email"], "r": "MEMBER"}, t)
    return await api.gql(REMOVE_MEMBER, {"b": board, "u": extra["victim"]}, t)


@settings(PROPS, max_examples=60)
@given(pairs=st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(OPERATIONS)), min_size=1, max_size=3))
async def test_permissions_match_the_contract(api: Api, pairs: list[tuple[str, str]]) -> None:
    owner, member, supervisor, assignee = await people(api)
    outsider, newcomer = await people_extra(api)
    for role, op in pairs:
        # A fresh board per attempt: an allowed change must not decide the next one.
        board = await new_board(api, owner, [member, supervisor, assignee])
        victim = member["id"]
        task = (await api.ok(CREATE_TASK, {"i": {"boardId": board, "title": "t", "assigneeId": assignee["id"]}},
                             supervisor["token"]))["createTask"]["id"]
        user = {"owner": owner, "member": member, "supervisor": supervisor, "assignee": assignee,
                "outsider": outsider}[role]
        if role == "member" and op == "removeMember":
            victim = assignee["id"]  # another member (leaving oneself is not managing members)
        body = await attempt(api, op, user, board, task, {"email": newcomer["email"], "victim": victim})
        want = allowed(role, op)
        if want is None:
            assert "errors" not in body, (role, op, body)
            assert all(v is not None for v in body["data"].values()), (role, op, body)
        else:
            assert codes(body) == [want], (role, op, body)
        await consistent(api, board)


_extra: dict[str, list[dict[str, Any]]] = {}


async def people_extra(api: Api) -> list[dict[str, Any]]:
    key = str(id(api.app))
    if key not in _extra:
        _extra[key] = [await api.signup("Outsider"), await api.signup("Newcomer")]
    return _extra[key]


async def test_permissions_every_pair(api: Api) -> None:
    """The same oracle over all 45 role x operation pairs, so none is left to chance."""
    owner, member, supervisor, assignee = await people(api)
    outsider, newcomer = await people_extra(api)
    users = {"owner": owner, "member": member, "supervisor": supervisor, "assignee": assignee, "outsider": outsider}
    outcomes = {}
    for role in ROLES:
        for op in OPERATIONS:
            board = await new_board(api, owner, [member, supervisor, assignee])
            task = (await api.ok(CREATE_TASK, {"i": {"boardId": board, "title": "t", "assigneeId": assignee["id"]}},
                                 supervisor["token"]))["createTask"]["id"]
            victim = assignee["id"] if role == "member" else member["id"]
            body = await attempt(api, op, users[role], board, task, {"email": newcomer["email"], "victim": victim})
            outcomes[(role, op)] = codes(body)[0] if codes(body) else None
            await consistent(api, board)
    expected = {(r, o): allowed(r, o) for r in ROLES for o in OPERATIONS}
    wrong = {k: (v, expected[k]) for k, v in outcomes.items() if v != expected[k]}
    assert not wrong, f"(got, contract) per (role, operation): {wrong}"
    assert set(expected.values()) == {None, "NOT_FOUND", "FORBIDDEN"}
