"""Persisted operations (Apollo's APQ) over HTTP POST and GET, and the allow-list
of TASKBOARD_PERSISTED_ONLY."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schema.persisted import sha256_hex
from taskboard.app import create_app
from tests.conftest import Api, test_settings

VIEWER = "query Me { viewer { user { id email } } }"
BOARDS = "query Boards { boards { id name } }"
CREATE = 'mutation Make { createBoard(name: "persisted") { id } }'


def apq(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(document)}}


async def post(api: Api, token: str | None, **body: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await api.client.post("/graphql", json=body, headers=headers)


async def get(api: Api, token: str | None, **params: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return await api.client.get("/graphql", params=query, headers=headers)


def code_of(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_an_unknown_hash_is_not_found_then_registered_with_its_document(api: Api) -> None:
    user = await api.signup("Apq")
    document = VIEWER + " # " + user["id"]  # a hash no other test has registered
    first = await post(api, user["token"], extensions=apq(document))
    assert first.status_code == 200
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                       "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    sent = await post(api, user["token"], query=document, extensions=apq(document))
    assert sent.json() == {"data": {"viewer": {"user": {"id": user["id"], "email": user["email"]}}}}
    again = await post(api, user["token"], extensions=apq(document))
    assert again.json() == sent.json()


async def test_a_document_that_is_not_its_hash_is_refused(api: Api) -> None:
    user = await api.signup("ApqBad")
    wrong = await post(api, user["token"], query=BOARDS, extensions=apq(VIEWER))
    assert wrong.status_code == 400 and code_of(wrong) == "BAD_USER_INPUT"
    for extensions in ({"persistedQuery": {"version": 2, "sha256Hash": sha256_hex(BOARDS)}},
                       {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
                       {"persistedQuery": "x"}, "x"):
        response = await post(api, user["token"], query=BOARDS, extensions=extensions)
        assert response.status_code == 400 and code_of(response) == "BAD_USER_INPUT", extensions


async def test_an_invalid_document_is_not_remembered(api: Api) -> None:
    user = await api.signup("ApqInvalid")
    document = "query { viewer { nope } } # " + user["id"]
    refused = await post(api, user["token"], query=document, extensions=apq(document))
    assert refused.status_code == 400 and code_of(refused) == "BAD_USER_INPUT"
    assert code_of(await post(api, user["token"], extensions=apq(document))) == "PERSISTED_QUERY_NOT_FOUND"


async def test_get_runs_persisted_queries_and_never_mutations(api: Api) -> None:
    user = await api.signup("ApqGet")
    document = BOARDS + " # " + user["id"]
    assert code_of(await get(api, user["token"], extensions=apq(document))) == "PERSISTED_QUERY_NOT_FOUND"
    sent = await get(api, user["token"], query=document, extensions=apq(document))
    assert sent.status_code == 200 and sent.json() == {"data": {"boards": []}}
    by_hash = await get(api, user["token"], extensions=apq(document), variables={})
    assert by_hash.json() == {"data": {"boards": []}}
    mutation = CREATE + " # " + user["id"]
    refused = await get(api, user["token"], query=mutation, extensions=apq(mutation))
    assert refused.status_code == 405 and code_of(refused) == "BAD_USER_INPUT"
    # known from a POST, a mutation still does not run over GET
    await post(api, user["token"], query=mutation, extensions=apq(mutation))
    refused = await get(api, user["token"], extensions=apq(mutation))
    assert refused.status_code == 405 and code_of(refused) == "BAD_USER_INPUT"
    boards = await post(api, user["token"], query=BOARDS)
    assert len(boards.json()["data"]["boards"]) == 1  # the POST's board only
    # free text over GET stays refused, as before
    plain = await get(api, user["token"], query=BOARDS)
    assert plain.status_code == 405 and plain.headers["allow"] == "POST"


async def test_a_persisted_query_runs_compiled_and_answers_as_free_text_does(api: Api) -> None:
    user = await api.signup("ApqSame")
    board = (await post(api, user["token"], query=CREATE)).json()["data"]["createBoard"]["id"]
    for title in ("a", "b"):
        await api.ok("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                     {"i": {"boardId": board, "title": title}}, user["token"])
    document = ("query Board($id: ID!, $bare: Boolean = false) { board(id: $id) { __typename id name "
                "... on Board { viewerRole members { __typename role user { id email } } } "
                "tasks(first: 5) { edges { node { __typename id title @skip(if: $bare) assignee { id } } } } } }")
    variables = {"id": board}
    free = await post(api, user["token"], query=document, variables=variables)
    assert "errors" not in free.json()
    await post(api, user["token"], query=document, variables=variables, extensions=apq(document))
    for _ in range(2):  # the plan made on the first run is used on the second
        persisted = await post(api, user["token"], variables=variables, extensions=apq(document))
        assert persisted.content == free.content
    bare = await post(api, user["token"], variables={**variables, "bare": True}, extensions=apq(document))
    assert bare.json()["data"]["board"]["tasks"]["edges"][0]["node"] == {"__typename": "Task", "id": ANY_ID,
                                                                          "assignee": None}


class _AnyId:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)


ANY_ID = _AnyId()


@pytest.fixture
async def only_api(database_url: str, tmp_path: Path) -> AsyncIterator[Api]:
    manifest = tmp_path / "persisted-manifest.json"
    manifest.write_text(json.dumps({sha256_hex(d): d for d in (VIEWER, BOARDS)}))
    settings = test_settings(database_url).model_copy(update={"persisted_only": True,
                                                               "persisted_manifest": str(manifest)})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, application)


async def test_persisted_only_runs_the_manifest_and_nothing_else(only_api: Api, api: Api) -> None:
    user = await api.signup("ApqOnly")
    token = user["token"]
    ran = await post(only_api, token, extensions=apq(VIEWER))
    assert ran.json()["data"]["viewer"]["user"]["id"] == user["id"]
    # the manifest's text runs; what came with the hash is not even parsed
    same = await post(only_api, token, query="{{{ not graphql", extensions=apq(VIEWER))
    assert same.json() == ran.json()
    for body in ({"query": BOARDS}, {"query": "{{{"}, {"query": CREATE, "extensions": apq(CREATE)},
                 {"extensions": apq(CREATE)}):
        refused = await post(only_api, token, **body)
        assert refused.status_code == 400 and code_of(refused) == "BAD_USER_INPUT", body
        assert "persisted operations" in refused.json()["errors"][0]["message"]
    assert (await get(only_api, token, extensions=apq(BOARDS))).json() == {"data": {"boards": []}}


def test_persisted_only_without_a_manifest_does_not_start(tmp_path: Path) -> None:
    settings = test_settings("sqlite+aiosqlite:///" + str(tmp_path / "t.db")).model_copy(
        update={"persisted_only": True, "persisted_manifest": None, "web_dir": str(tmp_path)})
    with pytest.raises(ValueError, match="manifest"):
        create_app(settings)
    (tmp_path / "persisted-manifest.json").write_text(json.dumps({sha256_hex("{ nope }"): "{ nope }"}))
    with pytest.raises(ValueError, match="not valid"):
        create_app(settings)
    (tmp_path / "persisted-manifest.json").write_text(json.dumps({sha256_hex("{ a }"): "{ b }"}))
    with pytest.raises(ValueError, match="not the sha256"):
        create_app(settings)
