"""The renderer's listeners (taskboard/live_render.py `when_ready`): one render per key
for all of them, each called once when it is done (None when it failed), and a
listener that comes after it is done is called at once."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

from taskboard.live_render import EventRenderer


class Listener:
    def __init__(self, fail: bool = False) -> None:
        self.context = contextvars.copy_context()
        self.fail = fail
        self.renders = 0
        self.got: list[tuple[str | None, Any, Any]] = []
        self.release = asyncio.Event()

    async def render(self, event: Any) -> str:
        self.renders += 1
        await self.release.wait()
        if self.fail:
            raise RuntimeError("render failed")
        return f"payload {event}"

    def rendered(self, payload: str | None, sub: Any, event: Any) -> None:
        self.got.append((payload, sub, event))


async def test_one_render_for_every_listener_of_a_key_each_called_once() -> None:
    renderer, listener = EventRenderer(), Listener()
    for sub in range(5):
        renderer.when_ready(("brd", 1, "q"), listener, sub, 1)
    renderer.when_ready(("brd", 1, "other"), listener, "x", 1)  # another selection: its own render
    await asyncio.sleep(0)
    assert listener.got == []
    listener.release.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert listener.renders == 2 and renderer.executions == 2
    assert sorted(map(str, listener.got)) == sorted(map(str, [("payload 1", s, 1) for s in [*range(5), "x"]]))
    renderer.when_ready(("brd", 1, "q"), listener, "late", 1)  # done: called now, not rendered again
    assert listener.got[-1] == ("payload 1", "late", 1) and listener.renders == 2


async def test_a_failed_render_tells_its_listeners_and_is_not_kept() -> None:
    renderer, failing = EventRenderer(), Listener(fail=True)
    failing.release.set()
    renderer.when_ready(("brd", 2, "q"), failing, "a", 2)
    renderer.when_ready(("brd", 2, "q"), failing, "b", 2)
    for _ in range(5):
        await asyncio.sleep(0)
    assert failing.got == [(None, "a", 2), (None, "b", 2)]
    assert renderer.cached(("brd", 2, "q")) is None
    fine = Listener()
    fine.release.set()
    renderer.when_ready(("brd", 2, "q"), fine, "c", 2)  # tried again
    for _ in range(5):
        await asyncio.sleep(0)
    assert fine.got == [("payload 2", "c", 2)]
