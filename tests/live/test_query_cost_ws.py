"""The query cost limit on the websocket: a subscription over the limit gets an
`error` with BAD_USER_INPUT and its cost, and nothing is started for it."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.live.conftest import LiveServer, events, next_message, subscribe

# 10 deep; per event: 100 tasks of the board times a page of 100 comments each
EXPENSIVE = "kind seq task { board { tasks(first: 100) { edges { node { comments(first: 100) { edges { node { id } } } } } } } }"
CHEAP = "kind seq task { board { tasks(first: 10) { edges { node { comments(first: 10) { edges { node { id } } } } } } } }"


async def test_an_over_cost_subscription_is_refused_with_its_cost(live: LiveServer) -> None:
    user = await live.api.signup("WsCost")
    board = (await live.api.ok('mutation { createBoard(name: "C") { id } }', token=user["token"]))["createBoard"]["id"]
    ws = await live.socket(user["token"])
    await subscribe(ws, "costly", board, selection=EXPENSIVE)
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["id"] == "costly", msg
    [error] = msg["payload"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": 2 + 5 + 300 + 20_000}, error
    # nothing runs for it: a change of the board reaches only the cheap subscription
    await subscribe(ws, "cheap", board, selection=CHEAP)
    await asyncio.sleep(0.2)
    await live.api.ok(f'mutation {{ createTask(input: {{boardId: "{board}", title: "t"}}) {{ id }} }}',
                      token=user["token"])
    [event] = await events(ws, 1)
    assert event["kind"] == "TASK_CREATED"
    with pytest.raises(TimeoutError):
        msg = await next_message(ws, timeout=0.5)
        raise AssertionError(f"unexpected {msg}")
    # and its id is free again (a started operation would make this a duplicate, 4409)
    await subscribe(ws, "costly", board, selection=CHEAP)
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_message(ws))["type"] == "pong"
