from __future__ import annotations

from typing import Any

import pytest
from graphql import get_introspection_query

from tests.api.helpers import CONTRACT_CODES, codes, new_board
from tests.conftest import Api

CHAIN = ["board(id: $id)", "tasks", "edges", "node", "board", "tasks", "edges", "node", "board", "tasks",
         "edges", "node"]


def deep_query(depth: int) -> str:
    """`depth` fields on the longest path, the last one a leaf."""
    fields = CHAIN[: depth - 1]
    leaf = "totalCount" if fields[-1] == "tasks" else "id"
    if fields[-1] == "edges":
        leaf = "cursor"
    return "query($id: ID!) { " + " { ".join([*fields, leaf]) + " }" * (depth - 1) + " }"


async def test_depth_10_is_served_and_11_refused(api: Api) -> None:
    owner = await api.signup("Deep")
    board = await new_board(api, owner)
    ok = await api.post(deep_query(10), {"id": board}, owner["token"])
    assert ok.status_code == 200
    assert "errors" not in ok.json(), ok.json()
    assert ok.json()["data"]["board"]["tasks"] == {"edges": []}
    refused = await api.post(deep_query(11), {"id": board}, owner["token"])
    body = refused.json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body.get("data") is None
    assert "deep" in body["errors"][0]["message"]


async def test_depth_through_fragments_counts(api: Api) -> None:
    owner = await api.signup("Frag")
    board = await new_board(api, owner)
    query = """query($id: ID!) { board(id: $id) { ...B } }
      fragment B on Board { tasks { edges { node { board { tasks { edges { node { board { tasks { totalCount } } } } } } } } } }"""
    body = (await api.post(query, {"id": board}, owner["token"])).json()
    assert codes(body) == ["BAD_USER_INPUT"] and body.get("data") is None, body


async def test_standard_introspection_query_works_in_test_env(api: Api) -> None:
    r = await api.post(get_introspection_query(descriptions=True))
    body = r.json()
    assert r.status_code == 200, body
    assert "errors" not in body, body
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Board", "Task", "TaskConnection", "ActivityKind"} <= names


def aliases(n: int) -> str:
    return "{ " + " ".join(f"a{i}: viewer {{ user {{ id }} }}" for i in range(n)) + " }"


async def test_30_aliases_are_served_and_31_refused(api: Api) -> None:
    me = await api.signup("Alias")
    data = await api.ok(aliases(30), token=me["token"])
    assert len(data) == 30 and data["a29"]["user"]["id"] == me["id"]
    body = (await api.post(aliases(31), token=me["token"])).json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body.get("data") is None


def many_tokens(n: int) -> str:
    """A document of about n + 20 tokens: a long list literal."""
    return "{ myTasks(filter: {status: [" + "TODO " * n + "]}) { totalCount } }"


async def test_documents_over_5000_tokens_are_refused(api: Api) -> None:
    me = await api.signup("Tokens")
    assert (await api.ok(many_tokens(4900), token=me["token"]))["myTasks"]["totalCount"] == 0
    r = await api.post(many_tokens(5000), token=me["token"])
    body = r.json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body.get("data") is None
    assert r.status_code == 400


async def test_body_over_1_mib_is_413(api: Api) -> None:
    me = await api.signup("Big")
    limit = 1024 * 1024
    prefix = b'{"query": "{ viewer { user { id } } }", "variables": {"pad": "'
    suffix = b'"}}'
    at_limit = prefix + b"x" * (limit - len(prefix) - len(suffix)) + suffix
    assert len(at_limit) == limit
    r = await api.client.post("/graphql", content=at_limit, headers={
        "content-type": "application/json", "authorization": f"Bearer {me['token']}"})
    assert r.status_code == 200, r.text[:300]
    over = prefix + b"x" * (limit + 1 - len(prefix) - len(suffix)) + suffix
    assert len(over) == limit + 1
    r = await api.client.post("/graphql", content=over, headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert codes(r.json()) and codes(r.json())[0] in CONTRACT_CODES

    # a streamed body without a content-length is cut off too
    async def chunks() -> Any:
        for _ in range(17):
            yield b"x" * 65536

    r = await api.client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert codes(r.json()) and codes(r.json())[0] in CONTRACT_CODES


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "text/plain", "application/graphql", "", "application/jsonx"])
async def test_only_json_content_type_is_accepted(api: Api, content_type: str) -> None:
    me = await api.signup("Ct")
    headers = {"authorization": f"Bearer {me['token']}"}
    if content_type:
        headers["content-type"] = content_type
    r = await api.client.post("/graphql", content=b'{"query": "mutation { createBoard(name: \\"ct\\") { id } }"}',
                              headers=headers)
    assert r.status_code == 415, (content_type, r.status_code, r.text)
    assert codes(r.json())
    assert (await api.ok("{ boards { id } }", token=me["token"]))["boards"] == []


async def test_json_with_charset_is_accepted(api: Api) -> None:
    r = await api.client.post("/graphql", content=b'{"query": "{ __typename }"}',
                              headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_mutations_are_never_accepted_outside_post(api: Api, method: str) -> None:
    me = await api.signup("Get")
    query = 'mutation { createBoard(name: "via get") { id } }'
    headers = {"authorization": f"Bearer {me['token']}"}
    if method == "GET":
        r = await api.client.get("/graphql", params={"query": query}, headers=headers)
    else:
        r = await api.client.request(method, "/graphql", json={"query": query}, headers=headers)
    assert r.status_code == 405, r.text
    assert codes(r.json())
    assert (await api.ok("{ boards { id } }", token=me["token"]))["boards"] == []


@pytest.mark.parametrize("raw", [b"{", b"not json", b"", b'{"query": "{ __typename }"', b"\xff\xfe"])
async def test_invalid_json_is_400(api: Api, raw: bytes) -> None:
    r = await api.client.post("/graphql", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert codes(r.json()) == ["BAD_USER_INPUT"]


async def test_batches_and_non_object_bodies_are_400(api: Api) -> None:
    for raw in (b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]', b"[]", b'"{ __typename }"', b"42",
                b"null", b'{"query": 5}', b'{"query": ""}', b'{"query": "{ __typename }", "variables": [1]}',
                b'{"query": "{ __typename }", "operationName": 3}'):
        r = await api.client.post("/graphql", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 400, (raw, r.text)
        assert codes(r.json()) == ["BAD_USER_INPUT"], raw


async def test_syntax_and_validation_errors_are_bad_user_input(api: Api) -> None:
    me = await api.signup("Syntax")
    for query in ("{ viewer { ", "{ nope }", "{ viewer { user { password } } }", "query { boards }",
                  "mutation { createBoard { id } }"):
        body = (await api.post(query, token=me["token"])).json()
        assert codes(body) and set(codes(body)) == {"BAD_USER_INPUT"}, (query, body)
        assert body.get("data") is None


@pytest.mark.parametrize(("query", "variables"), [
    ("query($id: ID!) { board(id: $id) { id } }", {"id": {"nested": True}}),
    ("query($id: ID!) { board(id: $id) { id } }", {}),
    ("query($id: ID!) { board(id: $id) { id } }", {"id": None}),
    ("query($f: Int) { myTasks(first: $f) { totalCount } }", {"f": "ten"}),
    ("query($f: Int) { myTasks(first: $f) { totalCount } }", {"f": 2 ** 40}),
    ("query($f: Int) { myTasks(first: $f) { totalCount } }", {"f": 1.5}),
    ("query($t: TaskFilter) { myTasks(filter: $t) { totalCount } }", {"t": {"status": ["NOPE"]}}),
    ("query($t: TaskFilter) { myTasks(filter: $t) { totalCount } }", {"t": {"dueBefore": "2030-02-30"}}),
    ("query($t: TaskFilter) { myTasks(filter: $t) { totalCount } }", {"t": {"dueBefore": 20300101}}),
    ("query($t: TaskFilter) { myTasks(filter: $t) { totalCount } }", {"t": {"unknown": 1}}),
    ("mutation($i: UpdateTaskInput!) { updateTask(id: \"x\", input: $i) { id } }", {"i": {"expectedVersion": "1"}}),
])
async def test_variables_of_the_wrong_type_are_bad_user_input(api: Api, query: str, variables: dict[str, Any]) -> None:
    me = await api.signup("Vars")
    r = await api.post(query, variables, me["token"])
    body = r.json()
    assert codes(body) and set(codes(body)) == {"BAD_USER_INPUT"}, body
    assert body.get("data") is None
    assert "Traceback" not in r.text and "stack" not in str(body["errors"][0].get("extensions", {}))


async def test_subscriptions_are_refused_over_http(api: Api) -> None:
    me = await api.signup("SubHttp")
    board = await new_board(api, me)
    query = "subscription($b: ID!) { boardEvents(boardId: $b) { seq } }"
    for token in (me["token"], None):
        r = await api.post(query, {"b": board}, token)
        body = r.json()
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert r.status_code == 400 and body.get("data") is None


async def test_an_unknown_operation_name_is_bad_user_input(api: Api) -> None:
    r = await api.client.post("/graphql", json={"query": "query A { __typename }", "operationName": "B"})
    assert r.status_code == 400
    assert codes(r.json()) == ["BAD_USER_INPUT"]
    r = await api.client.post("/graphql", json={"query": "query A { __typename } query B { viewer { user { id } } }",
                                                "operationName": "A"})
    assert r.json() == {"data": {"__typename": "Query"}}


async def test_production_turns_introspection_graphiql_and_suggestions_off(tmp_path: Any) -> None:
    import httpx

    from taskboard.app import create_app
    from tests.api.helpers import check_contract_body
    from tests.conftest import test_settings

    app = create_app(test_settings("sqlite+aiosqlite:///" + str(tmp_path / "prod.db"), env="production"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://prod") as client:
        for query in (get_introspection_query(), '{ __type(name: "Task") { name } }', "{ boardz }"):
            r = await client.post("/graphql", json={"query": query})
            check_contract_body(r.content, r.headers["content-type"])
            body = r.json()
            assert set(codes(body)) == {"BAD_USER_INPUT"}, body
            assert body.get("data") is None
            assert "Did you mean" not in r.text
        r = await client.get("/graphql", headers={"accept": "text/html"})
        assert r.status_code == 405 and "GraphiQL" not in r.text
        r = await client.post("/graphql", json={"query": "{ __typename }"})
        assert r.json() == {"data": {"__typename": "Query"}}
