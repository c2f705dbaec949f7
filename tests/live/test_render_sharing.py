"""One render per event and selection, whatever afterSeq each subscriber started from; and a
subscriber that goes away mid-render does not take the others' event with it."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest

from taskboard.ws import LiveSocket
from tests.live.conftest import LiveServer, events, subscribe
from tests.live.test_delivery import ADD, CREATE, board_with


def count_renders(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    renders: Counter[int] = Counter()
    real = LiveSocket._execute

    async def counted(self: LiveSocket, doc: Any, variables: Any, op_name: Any, event: Any) -> str:
        renders[event.seq] += 1
        return await real(self, doc, variables, op_name, event)

    monkeypatch.setattr(LiveSocket, "_execute", counted)
    return renders


async def test_subscribers_from_different_after_seq_share_one_render(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    await live.api.ok(ADD, {"b": board["id"], "e": bob["email"]}, owner["token"])
    renders = count_renders(monkeypatch)
    first, second = await live.socket(owner["token"]), await live.socket(bob["token"])
    await subscribe(first, "a", board["id"], after_seq=0)
    await subscribe(second, "b", board["id"], after_seq=1)
    assert [e["seq"] for e in await events(first, 1)] == [1]
    await live.api.ok(CREATE, {"b": board["id"], "t": "shared"}, owner["token"])
    for ws in (first, second):
        (ev,) = await events(ws, 1)
        assert ev["seq"] == 2 and ev["task"]["title"] == "shared"
    assert renders[2] == 1


async def test_a_subscriber_cancelled_mid_render_leaves_the_other_its_event(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    await live.api.ok(ADD, {"b": board["id"], "e": bob["email"]}, owner["token"])
    started: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    release = asyncio.Event()
    real = LiveSocket._execute

    async def slow(self: LiveSocket, doc: Any, variables: Any, op_name: Any, event: Any) -> str:
        if event.seq == 3:
            if not started.done():
                started.set_result(self.viewer_id or "")
            await release.wait()
        return await real(self, doc, variables, op_name, event)

    monkeypatch.setattr(LiveSocket, "_execute", slow)
    sockets = {owner["id"]: await live.socket(owner["token"]), bob["id"]: await live.socket(bob["token"])}
    for ws in sockets.values():
        await subscribe(ws, "s", board["id"], after_seq=1)
    await live.api.ok(CREATE, {"b": board["id"], "t": "first"}, owner["token"])
    for ws in sockets.values():  # both streams are live now, and wait on the same push
        assert [e["seq"] for e in await events(ws, 1)] == [2]
    await live.api.ok(CREATE, {"b": board["id"], "t": "wanted"}, owner["token"])
    renderer = await asyncio.wait_for(started, 5)
    await sockets[renderer].send(json.dumps({"id": "s", "type": "complete"}))
    await asyncio.sleep(0.2)  # the cancellation lands while the render waits
    release.set()
    (other,) = [ws for viewer, ws in sockets.items() if viewer != renderer]
    (ev,) = await events(other, 1)
    assert ev["seq"] == 3 and ev["task"]["title"] == "wanted"
