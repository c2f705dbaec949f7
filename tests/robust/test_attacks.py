"""Attacks on the production configuration.  Each test fails if the protection
it names is removed."""

from __future__ import annotations

import asyncio
import json
import secrets
import string
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from taskboard.app import create_app
from tests.api.helpers import CONTRACT_CODES, codes
from tests.conftest import Api, test_settings
from tests.live.conftest import LiveServer, next_message, serve
from tests.robust.common import World, make_world, response_problems

# Every name in the contract (types, fields, arguments, enum values): none may leak.
SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "schema.graphql"
OUR_FIELDS = ["viewer", "boards", "board", "task", "node", "myTasks", "signUp", "login", "refreshToken", "logout",
              "createBoard", "addBoardMember", "removeBoardMember", "createTask", "updateTask", "deleteTask",
              "updateNotificationSettings", "boardEvents", "lastSeq", "tasks", "members", "activity",
              "viewerRole", "supervisor", "assignee", "version", "title", "description", "status", "deadline"]
OUR_TYPES = ["Board", "Task", "User", "Viewer", "TaskConnection", "BoardMember", "ActivityConnection",
             "AuthPayload", "NotificationSettings", "BoardEvent", "TaskFilter", "TaskOrder", "CreateTaskInput",
             "UpdateTaskInput", "TaskStatus", "BoardRole"]


def production_settings(database_url: str, **overrides: Any) -> Any:
    secret = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    # The test MariaDB speaks no TLS, which production otherwise requires of a MySQL URL.
    overrides.setdefault("database_tls", "off")
    return test_settings(database_url, env="production", jwt_secret=secret, aws="off", **overrides)


@pytest.fixture(scope="module")
async def prod_app(app: Any, database_url: str) -> AsyncIterator[Any]:
    # `app` migrated the database: production never migrates on start.
    application = create_app(production_settings(database_url, cors_origins=["https://board.example"]))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def prod(prod_app: Any) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://prod") as client:
        yield Api(client, prod_app)


@pytest.fixture(scope="module")
async def prod_world(prod_app: Any) -> World:
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://prod") as client:
        return await make_world(Api(client, prod_app), tasks=2)


def refused(r: httpx.Response) -> dict[str, Any]:
    """A document refused whole: BAD_USER_INPUT, no data, the contract's JSON."""
    assert not response_problems(r.status_code, r.headers.get("content-type", ""), r.content), r.text
    body: dict[str, Any] = r.json()
    assert body.get("data") is None, body
    assert codes(body) and set(codes(body)) == {"BAD_USER_INPUT"}, body
    return body


def all_messages(body: dict[str, Any]) -> str:
    return "\n".join(e.get("message", "") for e in body.get("errors") or [])


async def board_count(api: Api, token: str) -> int:
    return len((await api.ok("{ boards { id } }", token=token))["boards"])


# -- introspection, GraphiQL, suggestions ------------------------------------------

async def test_introspection_is_off(prod: Api, prod_world: World) -> None:
    token = prod_world.owner["token"]
    for query in (get_introspection_query(), "{ __schema { queryType { name } } }",
                  '{ __type(name: "Board") { name fields { name } } }',
                  "query { viewer { ... on Viewer { __type: user { id } } } }",  # alias named like it: fine
                  "fragment F on Query { __schema { types { name } } } query { ...F }"):
        r = await prod.post(query, token=token)
        if "__type: user" in query:
            assert r.status_code == 200 and "errors" not in r.json(), r.text
            continue
        body = refused(r)
        assert "Board" not in json.dumps(body), body


async def test_graphiql_is_off(prod: Api) -> None:
    r = await prod.client.get("/graphql", headers={"accept": "text/html,application/xhtml+xml"})
    assert "text/html" not in r.headers.get("content-type", "")
    assert "graphiql" not in r.text.lower() and "<html" not in r.text.lower()
    assert r.status_code in (400, 405)


MISSPELLED = [
    "{ boar { id } }", "{ viewr { user { id } } }", "{ board(id: \"x\") { nam } }", "{ createBoard }",
    "{ boards { taks { totalCount } } }", "mutation { createBord(name: \"x\") { id } }",
    "{ board(idd: \"x\") { id } }", "query($f: TaskFiltr) { myTasks(filter: $f) { totalCount } }",
    "{ myTasks(orderBy: {field: DEADLIN}) { totalCount } }", "{ myTasks(filter: {staus: [DONE]}) { totalCount } }",
    "{ viewer { user { emal } } }", "{ viewer { user } }", "{ node(id: \"x\") { ... on Bord { id } } }",
]


async def test_no_field_suggestions(prod: Api, prod_world: World) -> None:
    for query in MISSPELLED:
        body = refused(await prod.post(query, token=prod_world.owner["token"]))
        text = all_messages(body)
        assert "Did you mean" not in text, (query, text)
        assert "did you mean" not in text.lower(), (query, text)


# -- transport -------------------------------------------------------------------

async def test_no_mutation_over_get(prod: Api, prod_world: World) -> None:
    token = prod_world.owner["token"]
    before = await board_count(prod, token)
    for query in ('mutation { createBoard(name: "via GET") { id } }', '{ boards { id } }'):
        r = await prod.client.get("/graphql", params={"query": query},
                                  headers={"authorization": f"Bearer {token}", "accept": "application/json"})
        assert r.status_code == 405, r.text
        assert codes(r.json()) == ["BAD_USER_INPUT"]
        assert r.json().get("data") is None
    assert await board_count(prod, token) == before


@pytest.mark.parametrize("kind", ["urlencoded", "multipart", "text/plain", "none"])
async def test_only_json_posts(prod: Api, prod_world: World, kind: str) -> None:
    token = prod_world.owner["token"]
    before = await board_count(prod, token)
    auth = {"authorization": f"Bearer {token}"}
    query = 'mutation { createBoard(name: "not json") { id } }'
    if kind == "urlencoded":
        r = await prod.client.post("/graphql", data={"query": query}, headers=auth)
    elif kind == "multipart":
        r = await prod.client.post("/graphql", files={"operations": (None, json.dumps({"query": query}))},
                                   headers=auth)
    elif kind == "text/plain":  # a CORS "simple request" a browser sends cross-site without preflight
        r = await prod.client.post("/graphql", content=json.dumps({"query": query}),
                                   headers={**auth, "content-type": "text/plain"})
    else:
        r = await prod.client.post("/graphql", content=json.dumps({"query": query}), headers=auth)
    assert r.status_code == 415, (kind, r.status_code, r.text)
    assert codes(r.json()) == ["BAD_USER_INPUT"]
    assert await board_count(prod, token) == before


# -- document limits -------------------------------------------------------------

def alias_doc(n: int, in_fragment: bool = False) -> str:
    fields = " ".join(f"a{i}: id" for i in range(n))
    if in_fragment:
        return f"{{ viewer {{ user {{ ...U }} }} }} fragment U on User {{ {fields} }}"
    return f"{{ viewer {{ user {{ {fields} }} }} }}"


DEEP_FRAGMENT = """query($id: ID!) { board(id: $id) { ...B } }
fragment B on Board { tasks { edges { node { ...T } } } }
fragment T on Task { board { tasks { edges { node { board { tasks { edges { node { id } } } } } } } } }"""
DEEP_INLINE = """query($id: ID!) { board(id: $id) { ... on Board { tasks { edges { node { ... on Task { board {
  tasks { edges { node { board { tasks { edges { node { id } } } } } } } } } } } } } } }"""


def token_doc(n_fields: int, in_fragment: bool = False) -> str:
    fields = " ".join("__typename" for _ in range(n_fields))
    if in_fragment:
        return f"{{ ...Q }} fragment Q on Query {{ {fields} }}"
    return f"{{ {fields} }}"


async def test_alias_limit_also_in_fragments(prod: Api, prod_world: World) -> None:
    token = prod_world.owner["token"]
    for frag in (False, True):
        ok = await prod.post(alias_doc(30, frag), token=token)
        assert ok.status_code == 200 and "errors" not in ok.json(), ok.text
        body = refused(await prod.post(alias_doc(31, frag), token=token))
        assert "alias" in all_messages(body)


async def test_depth_limit_also_in_fragments(prod: Api, prod_world: World) -> None:
    token = prod_world.owner["token"]
    for doc in (DEEP_FRAGMENT, DEEP_INLINE):
        body = refused(await prod.post(doc, {"id": prod_world.board_id}, token=token))
        assert "deep" in all_messages(body)


async def test_token_limit_also_in_fragments(prod: Api, prod_world: World) -> None:
    token = prod_world.owner["token"]
    ok = await prod.post(token_doc(500), token=token)  # ~500 tokens: served
    assert ok.status_code == 200 and "errors" not in ok.json(), ok.text[:300]
    for frag in (False, True):
        body = refused(await prod.post(token_doc(5000, frag), token=token))
        assert "token" in all_messages(body).lower(), body


async def test_batches_are_refused(prod: Api, prod_world: World) -> None:
    token = prod_world.owner["token"]
    before = await board_count(prod, token)
    batch = [{"query": 'mutation { createBoard(name: "batched") { id } }'}] * 5
    r = await prod.client.post("/graphql", json=batch, headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 400
    assert codes(r.json()) == ["BAD_USER_INPUT"]
    assert await board_count(prod, token) == before


# -- CORS ----------------------------------------------------------------------------

async def test_cors_only_for_configured_origins(prod: Api) -> None:
    def preflight(origin: str) -> Any:
        return prod.client.options("/graphql", headers={
            "origin": origin, "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type"})

    good = await preflight("https://board.example")
    assert good.status_code == 200
    assert good.headers.get("access-control-allow-origin") == "https://board.example"
    assert "POST" in good.headers.get("access-control-allow-methods", "")
    for origin in ("https://evil.example", "https://board.example.evil.example", "null", "http://board.example"):
        bad = await preflight(origin)
        assert "access-control-allow-origin" not in bad.headers, (origin, bad.headers)
        post = await prod.client.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": origin})
        assert "access-control-allow-origin" not in post.headers, (origin, post.headers)
        assert post.headers.get("access-control-allow-origin") != "*"


# -- over the websocket ------------------------------------------------------------------

SUB_FIELDS = "seq kind"


def sub_aliases(n: int, in_fragment: bool) -> str:
    fields = " ".join(f"a{i}: seq" for i in range(n))
    if in_fragment:
        return f"subscription($b: ID!) {{ boardEvents(boardId: $b) {{ ...E }} }} fragment E on BoardEvent {{ {fields} }}"
    return f"subscription($b: ID!) {{ boardEvents(boardId: $b) {{ {fields} }} }}"


SUB_DEEP = """subscription($b: ID!) { boardEvents(boardId: $b) { ...E } }
fragment E on BoardEvent { task { board { tasks { edges { node { board { tasks { edges { node { id } } } } } } } } } }"""


def sub_tokens(n: int) -> str:
    return "subscription($b: ID!) { boardEvents(boardId: $b) { " + " ".join("seq" for _ in range(n)) + " } }"


async def ws_result(ws: Any, op_id: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    await ws.send(json.dumps({"id": op_id, "type": "subscribe",
                              "payload": {"query": query, "variables": variables}}))
    msg = await next_message(ws)
    assert msg["id"] == op_id, msg
    return msg


@pytest.fixture(scope="module")
async def prod_live(app: Any, database_url: str) -> AsyncIterator[LiveServer]:
    async with serve(production_settings(database_url)) as server:
        yield server


async def test_limits_and_introspection_inside_subscriptions(prod_live: LiveServer) -> None:
    world = await make_world(prod_live.api, tasks=1)
    ws = await prod_live.socket(world.owner["token"])
    b = {"b": world.board_id}
    refused_docs = {
        "aliases": sub_aliases(31, False), "aliases-fragment": sub_aliases(31, True), "depth": SUB_DEEP,
        "tokens": sub_tokens(5000),
        "introspection": "subscription { __schema { types { name } } }",
        "introspection-query-over-ws": "query { __schema { types { name } } }",
        "type-over-ws": '{ __type(name: "Board") { name } }',
        "suggestion": "subscription($b: ID!) { boardEvent(boardId: $b) { seq } }",
    }
    for name, doc in refused_docs.items():
        msg = await ws_result(ws, name, doc, b)
        assert msg["type"] == "error", (name, msg)
        errs = msg["payload"]
        assert errs and all((e.get("extensions") or {}).get("code") == "BAD_USER_INPUT" for e in errs), (name, msg)
        assert all(c in CONTRACT_CODES for c in [e["extensions"]["code"] for e in errs])
        assert "Did you mean" not in json.dumps(errs), (name, errs)
        assert "BoardEvent" not in json.dumps(errs) or name in ("aliases", "aliases-fragment", "depth"), (name, errs)
    # The same socket still serves a valid subscription (30 aliases is within the limit).
    await ws.send(json.dumps({"id": "ok", "type": "subscribe", "payload": {
        "query": sub_aliases(30, True).replace("($b: ID!)", "($b: ID!, $s: Int)").replace(
            "(boardId: $b)", "(boardId: $b, afterSeq: $s)"), "variables": {**b, "s": 0}}}))
    got = await next_message(ws)
    assert got["type"] == "next" and got["id"] == "ok", got
    assert got["payload"]["data"]["boardEvents"]["a29"] == 1


# -- blind introspection (clairvoyance) ----------------------------------------------------

async def test_clairvoyance_recovers_nothing(prod_live: LiveServer, tmp_path: Path) -> None:
    world = await make_world(prod_live.api, tasks=1)
    words = tmp_path / "words.txt"
    decoys = ["user", "users", "me", "account", "project", "item", "items", "admin", "id", "name", "email",
              "search", "query", "mutation", "tasksConnection", "createUser", "deleteUser"]
    words.write_text("\n".join([*OUR_FIELDS, *decoys]) + "\n")
    out = tmp_path / "schema.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "clairvoyance", "-w", str(words), "-o", str(out), "-c", "4", "-m", "1",
        "-H", f"Authorization: Bearer {world.owner['token']}",
        prodlive_url(prod_live), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), 90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    log = output.decode(errors="replace")
    if not out.exists():
        # It gave up: without suggestions or distinguishable errors it cannot type a field.
        assert proc.returncode != 0 and "EndpointError" in log, log[-3000:]
        print("\nclairvoyance gave up:", [ln for ln in log.splitlines() if "EndpointError" in ln][-1][:300])
        return
    schema = json.loads(out.read_text())
    found_fields = {f["name"] for t in schema["data"]["__schema"]["types"] for f in (t.get("fields") or [])}
    found_types = {t["name"] for t in schema["data"]["__schema"]["types"]}
    assert not found_fields & set(OUR_FIELDS), (found_fields, log[-2000:])
    assert not found_types & set(OUR_TYPES), (found_types, log[-2000:])


PROBES = [
    # (real, fake) pairs: the answers must not tell them apart.
    ("{ board }", "{ boardz }"), ("{ viewer }", "{ viewerz }"), ("{ boar }", "{ zzzz }"),
    ("{ boards { idz } }", "{ boardz { idz } }"), ("{ viewer { user } }", "{ viewer { usr } }"),
    ("{ viewer { user { email name zz } } }", "{ viewer { user { emial nmae zz } } }"),
    ("mutation { createTask }", "mutation { createTsk }"), ("mutation { createBoard { id } }", "mutation { zzz { id } }"),
    ('{ board(id: "x") { tasks } }', '{ board(id: "x") { taskz } }'),
    ('{ board(id: "x", first: 1) { id } }', '{ board(idd: "x") { id } }'),
    ('{ task(id: 1) { idz } }', '{ tusk(id: 1) { idz } }'),
    ("subscription { boardEvents }", "subscription { boardEventz }"),
    ('{ node(id: "x") { ... on Task { idz } } }', '{ node(id: "x") { ... on Tusk { idz } } }'),
    ("query($f: TaskFilter) { myTasks(filter: $f) { totalCountz } }",
     "query($f: TaskFiltr) { myTasks(filter: $f) { totalCountz } }"),
]


def masked(body: dict[str, Any]) -> list[str]:
    return sorted(e["message"] for e in body.get("errors") or [])


async def test_blind_probe_learns_nothing(prod: Api, prod_world: World) -> None:
    """clairvoyance's method by hand: real and made-up names get the same answer, and
    no answer names a field or type of ours."""
    token = prod_world.owner["token"]
    names = [*OUR_FIELDS, *OUR_TYPES]
    for real, fake in PROBES:
        a = refused(await prod.post(real, token=token))
        b = refused(await prod.post(fake, token=token))
        assert masked(a) == masked(b), (real, a, fake, b)
        text = all_messages(a) + all_messages(b)
        leaked = [n for n in names if f"'{n}'" in text or f'"{n}"' in text or f" {n} " in text]
        assert not leaked, (real, leaked, text)


def prodlive_url(live: LiveServer) -> str:
    return live.url + "/graphql"
