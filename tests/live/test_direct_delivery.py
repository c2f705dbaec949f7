"""Board events written around the subscriptions' tasks (taskboard/live_direct.py): a
caught-up subscriber gets each event once and in order that way; one in replay, or
whose socket cannot take the frame now, gets them in order its own way; the kinds
the stream must look at (a removal) still end it; and one stuck socket holds no
other subscriber back."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from resolvers import live as live_module
from taskboard.ws_io import SocketIO
from tests.live.conftest import LiveServer, events, next_message, subscribe
from tests.live.test_delivery import ADD, CREATE, REMOVE, board_with


def count_direct(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The viewer of every frame written around a subscription's task."""
    written: list[str | None] = []
    real = SocketIO.write_frame

    def counted(self: SocketIO, frame: bytes) -> bool:
        ok = real(self, frame)
        if ok:
            written.append(self.viewer_id)
        return ok

    monkeypatch.setattr(SocketIO, "write_frame", counted)
    return written


async def nothing_more(ws: Any) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_message(ws))["type"] == "pong"  # no event came twice, or late


async def test_caught_up_subscribers_get_each_event_once_in_order(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    written = count_direct(monkeypatch)
    board, (owner,) = await board_with(live, "Owner")
    sockets = [await live.socket(owner["token"]) for _ in range(3)]
    for i, ws in enumerate(sockets):
        await subscribe(ws, f"s{i}", board["id"], after_seq=0)
    await live.api.ok(CREATE, {"b": board["id"], "t": "warm-up"}, owner["token"])
    for ws in sockets:
        assert [e["seq"] for e in await events(ws, 1)] == [1]
    before = len(written)
    for i in range(4):  # one at a time: every stream waits, caught up, for each
        await live.api.ok(CREATE, {"b": board["id"], "t": f"one {i}"}, owner["token"])
        for ws in sockets:
            assert [e["seq"] for e in await events(ws, 1)] == [2 + i]
    assert len(written) - before == 4 * len(sockets)
    # Concurrent commits: events arrive while others are on their way, and take turns.
    await asyncio.gather(*(live.api.ok(CREATE, {"b": board["id"], "t": f"many {i}"}, owner["token"])
                           for i in range(12)))
    for ws in sockets:
        got = await events(ws, 12)
        assert [e["seq"] for e in got] == list(range(6, 18))
        await nothing_more(ws)


async def test_a_stream_in_replay_takes_its_own_way_then_goes_direct(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    board, (owner,) = await board_with(live, "Owner")
    for i in range(3):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"old {i}"}, owner["token"])
    release, reading = asyncio.Event(), asyncio.Event()
    real = live_module._from_table

    async def held(ctx: Any, board_id: str, after: int) -> Any:
        reading.set()
        await release.wait()
        return await real(ctx, board_id, after)

    monkeypatch.setattr(live_module, "_from_table", held)
    written = count_direct(monkeypatch)
    ws = await live.socket(owner["token"])
    await subscribe(ws, "r", board["id"], after_seq=0)
    await asyncio.wait_for(reading.wait(), 5)
    for i in range(3):  # committed while the replay waits: the stream's buffer holds them
        await live.api.ok(CREATE, {"b": board["id"], "t": f"during {i}"}, owner["token"])
    assert written == []
    release.set()
    assert [e["seq"] for e in await events(ws, 6)] == [1, 2, 3, 4, 5, 6]
    await nothing_more(ws)
    await live.api.ok(CREATE, {"b": board["id"], "t": "live"}, owner["token"])
    assert [e["seq"] for e in await events(ws, 1)] == [7]
    assert written == [owner["id"]]
    await nothing_more(ws)


async def test_a_removal_still_ends_a_stream_whose_events_went_direct(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    written = count_direct(monkeypatch)
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    await live.api.ok(ADD, {"b": board["id"], "e": bob["email"]}, owner["token"])
    ws = await live.socket(bob["token"])
    await subscribe(ws, "b", board["id"], after_seq=0)
    assert [e["seq"] for e in await events(ws, 1)] == [1]
    await live.api.ok(CREATE, {"b": board["id"], "t": "seen"}, owner["token"])
    assert [e["seq"] for e in await events(ws, 1)] == [2]
    assert written == [bob["id"]]
    await live.api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, owner["token"])
    await live.api.ok(CREATE, {"b": board["id"], "t": "not for bob"}, owner["token"])
    (removed,) = await events(ws, 1)
    assert removed["kind"] == "MEMBER_REMOVED" and removed["seq"] == 3
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await nothing_more(ws)
    assert written == [bob["id"]]


async def test_a_socket_that_cannot_take_frames_now_gets_them_in_order_and_holds_nobody(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    await live.api.ok(ADD, {"b": board["id"], "e": bob["email"]}, owner["token"])
    stuck, release = {bob["id"]}, asyncio.Event()
    real_write, real_send = SocketIO.write_frame, SocketIO._send_now

    def write_frame(self: SocketIO, frame: bytes) -> bool:  # bob's transport buffer is full
        return self.viewer_id not in stuck and real_write(self, frame)

    async def send_now(self: SocketIO, frame: str) -> bool:  # and bob does not read
        if self.viewer_id in stuck:
            await release.wait()
        return await real_send(self, frame)

    monkeypatch.setattr(SocketIO, "write_frame", write_frame)
    monkeypatch.setattr(SocketIO, "_send_now", send_now)
    mine, bobs = await live.socket(owner["token"]), await live.socket(bob["token"])
    await subscribe(mine, "m", board["id"], after_seq=1)
    await subscribe(bobs, "b", board["id"], after_seq=1)
    for i in range(5):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"t{i}"}, owner["token"])
    assert [e["seq"] for e in await events(mine, 5)] == [2, 3, 4, 5, 6]  # not held back by bob
    with pytest.raises(TimeoutError):
        await events(bobs, 1, timeout=0.3)
    release.set()
    assert [e["seq"] for e in await events(bobs, 5)] == [2, 3, 4, 5, 6]
    await nothing_more(bobs)
    await nothing_more(mine)
