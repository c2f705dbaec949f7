"""Persisted operations over the websocket: the subscribe payload's
`extensions.persistedQuery`, as graphql-ws clients send it."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from schema.persisted import sha256_hex
from tests.live.conftest import LiveServer, events, next_message

EVENTS = "subscription Ev($b: ID!) { boardEvents(boardId: $b) { kind seq task { title } } } # "
VIEWER = "query Me { viewer { user { id } } } # "


def subscribe_message(op_id: str, document: str | None, variables: dict[str, Any], digest: str) -> str:
    payload: dict[str, Any] = {"variables": variables,
                               "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if document is not None:
        payload["query"] = document
    return json.dumps({"id": op_id, "type": "subscribe", "payload": payload})


async def test_a_hash_is_not_found_then_runs_once_sent_with_its_document(live: LiveServer) -> None:
    user = await live.api.signup("WsApq")
    board = (await live.api.ok('mutation { createBoard(name: "P") { id } }', token=user["token"]))["createBoard"]["id"]
    ws = await live.socket(user["token"])
    document = EVENTS + uuid.uuid4().hex
    digest = sha256_hex(document)
    await ws.send(subscribe_message("1", None, {"b": board}, digest))
    msg = await next_message(ws)
    assert msg == {"id": "1", "type": "error", "payload": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]}
    await ws.send(subscribe_message("1", document, {"b": board}, digest))  # the id is free again
    # and another socket knows the hash now
    other = await live.socket(user["token"])
    await other.send(subscribe_message("2", None, {"b": board}, digest))
    await asyncio.sleep(0.5)  # both subscribed before the change (as the other live tests wait)
    await live.api.ok(f'mutation {{ createTask(input: {{boardId: "{board}", title: "t"}}) {{ id }} }}',
                      token=user["token"])
    for socket in (ws, other):
        [event] = await events(socket, 1)
        assert event["kind"] == "TASK_CREATED" and event["task"] == {"title": "t"}


async def test_queries_run_by_hash_and_a_wrong_hash_is_refused(live: LiveServer) -> None:
    user = await live.api.signup("WsApqQuery")
    ws = await live.socket(user["token"])
    document = VIEWER + uuid.uuid4().hex
    digest = sha256_hex(document)
    await ws.send(subscribe_message("q1", document, {}, digest))
    assert (await next_message(ws))["payload"] == {"data": {"viewer": {"user": {"id": user["id"]}}}}
    assert (await next_message(ws))["type"] == "complete"
    await ws.send(subscribe_message("q2", "", {}, digest))  # graphql-ws sends a string, empty with a hash
    assert (await next_message(ws))["payload"] == {"data": {"viewer": {"user": {"id": user["id"]}}}}
    assert (await next_message(ws))["type"] == "complete"
    await ws.send(subscribe_message("q3", VIEWER, {}, digest))
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
