"""The graphql-transport-ws protocol: close codes, ping/pong, keep-alive, limits."""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.live.conftest import PROTOCOL, LiveServer, closed_with, next_message, subscribe


async def test_legacy_subprotocol_is_refused(live: LiveServer) -> None:
    try:
        ws = await connect(live.ws_url, subprotocols=["graphql-ws"])  # type: ignore[list-item]
    except InvalidStatus as exc:
        assert exc.response.status_code == 403
    else:  # pragma: no cover - the handshake must be refused
        await ws.close()
        raise AssertionError("the legacy graphql-ws subprotocol was accepted")


async def test_bad_token_closes_4403(live: LiveServer) -> None:
    for payload in ({"authorization": "Bearer nope"}, {}, None, {"authorization": 42}):
        ws = await live.socket(init=False)
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert await closed_with(ws) == 4403


async def test_subscribe_before_ack_closes_4401(live: LiveServer) -> None:
    ws = await live.socket(init=False)
    await subscribe(ws, "1", "brd_x")
    assert await closed_with(ws) == 4401


async def test_no_init_closes_4408(live: LiveServer) -> None:
    ws = await live.socket(init=False)
    assert await closed_with(ws, timeout=5) == 4408  # the live server waits 1 s


async def test_invalid_messages_close_4400(live: LiveServer) -> None:
    user = await live.api.signup("Proto")
    for frame in ("{not json", json.dumps([1, 2]), json.dumps({"type": "bogus"}), json.dumps({"no": "type"}),
                  json.dumps({"type": "subscribe", "id": "1", "payload": "x"})):
        ws = await live.socket(user["token"])
        await ws.send(frame)
        assert await closed_with(ws) == 4400, frame
    ws = await live.socket(user["token"])
    await ws.send(b'{"type": "ping"}')  # binary frame
    assert await closed_with(ws) == 4400
    ws = await live.socket(user["token"])
    await ws.send(json.dumps({"type": "ping", "payload": {"pad": "x" * 70_000}}))
    assert await closed_with(ws) == 4400


async def test_second_init_closes_4429(live: LiveServer) -> None:
    user = await live.api.signup("Proto")
    ws = await live.socket(user["token"])
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {user['token']}"}}))
    assert await closed_with(ws) == 4429


async def test_duplicate_id_closes_4409(live: LiveServer) -> None:
    user = await live.api.signup("Proto")
    board = (await live.api.ok('mutation { createBoard(name: "P") { id } }', token=user["token"]))["createBoard"]
    ws = await live.socket(user["token"])
    await subscribe(ws, "same", board["id"])
    await subscribe(ws, "same", board["id"])
    assert await closed_with(ws) == 4409


async def test_ping_pong_and_server_keepalive(live: LiveServer) -> None:
    user = await live.api.signup("Proto")
    ws = await live.socket(user["token"])
    await ws.send(json.dumps({"type": "ping", "payload": {"n": 1}}))
    assert await next_message(ws) == {"type": "pong", "payload": {"n": 1}}
    # The server pings on its own (every 0.5 s here; under the ALB's 60 s in production).
    msg = json.loads(await asyncio.wait_for(ws.recv(), 3))
    assert msg == {"type": "ping"}
    await ws.send(json.dumps({"type": "pong"}))
    assert ws.close_code is None


async def test_limits_apply_inside_subscriptions(live: LiveServer) -> None:
    user = await live.api.signup("Proto")
    ws = await live.socket(user["token"])
    deep = "subscription { boardEvents(boardId: \"x\") { task { board { tasks { edges { node { board { tasks { edges { node { board { name } } } } } } } } } } } }"
    await ws.send(json.dumps({"id": "d", "type": "subscribe", "payload": {"query": deep}}))
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    aliases = "subscription { " + " ".join(f"a{i}: boardEvents(boardId: \"x\") {{ seq }}" for i in range(31)) + " }"
    await ws.send(json.dumps({"id": "a", "type": "subscribe", "payload": {"query": aliases}}))
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    frag = ("subscription { ...F } fragment F on Subscription { boardEvents(boardId: \"x\") { task { board { "
            "tasks { edges { node { board { tasks { edges { node { board { name } } } } } } } } } } } }")
    await ws.send(json.dumps({"id": "f", "type": "subscribe", "payload": {"query": frag}}))
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert ws.close_code is None


async def test_subscription_cap_per_socket(live: LiveServer) -> None:
    user = await live.api.signup("Cap")
    board = (await live.api.ok('mutation { createBoard(name: "Cap") { id } }', token=user["token"]))["createBoard"]
    ws = await live.socket(user["token"])
    for i in range(50):
        await subscribe(ws, f"s{i}", board["id"])
    await subscribe(ws, "one-too-many", board["id"])
    msg = await next_message(ws)
    assert msg["id"] == "one-too-many" and msg["type"] == "error"
    assert msg["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # Completing one frees a place.
    await ws.send(json.dumps({"id": "s0", "type": "complete"}))
    await asyncio.sleep(0.1)
    await subscribe(ws, "fits", board["id"], after_seq=0)
    await live.api.ok('mutation($b: ID!) { createTask(input: {boardId: $b, title: "t"}) { id } }', {"b": board["id"]},
                      user["token"])
    seen = set()
    while "fits" not in seen:
        msg = await next_message(ws)
        assert msg["type"] == "next", msg
        seen.add(msg["id"])


async def test_query_over_socket(live: LiveServer) -> None:
    user = await live.api.signup("Q")
    ws = await live.socket(user["token"])
    await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": {"query": "{ viewer { user { email } } }"}}))
    msg = await next_message(ws)
    assert msg == {"id": "q", "type": "next", "payload": {"data": {"viewer": {"user": {"email": user["email"]}}}}}
    assert await next_message(ws) == {"id": "q", "type": "complete"}


async def test_ws_protocol_over_plain_connect_is_used(live: LiveServer) -> None:
    async with connect(live.ws_url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == PROTOCOL
