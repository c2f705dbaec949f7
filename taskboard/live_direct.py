"""Board events written around the subscriptions' tasks (issue 18's fan-out).

A board stream that waits, caught up, hands its next event to its `DirectSink`
instead of being woken (`resolvers.live_hub.Subscription.offer`).  The sink asks
the renderer for the event's render under its selection, and when that is done
the renderer calls every waiting sink in one loop: each writes the same frame to
its socket's transport.  An event that cannot go that way (the render failed, the
socket's buffer is full, the operation was completed) lands back in the stream's
buffer and takes the ordinary way, in order, from the stream's own task."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from taskboard.ws_protocol import text_frame

if TYPE_CHECKING:
    from taskboard.ws_io import SocketIO

# The last frame built: every subscriber with the same operation id and selection
# gets the same bytes, so one encoding serves all of them.
_last: tuple[str, str, bytes] = ("", "", b"")


def frame(prefix: str, payload: str) -> bytes:
    """The websocket frame of `prefix + payload + "}"`."""
    global _last
    last_prefix, last_payload, built = _last
    if payload is not last_payload or prefix != last_prefix:
        built = text_frame((prefix + payload + "}").encode())
        _last = (prefix, payload, built)
    return built


class DirectSink:
    """One subscription's way around its task (`resolvers.live.DIRECT`)."""

    __slots__ = ("_execute", "context", "op_id", "prefix", "selection", "sock", "task")

    def __init__(self, sock: SocketIO, op_id: str, prefix: str, selection: tuple[Any, ...],
                 execute: Callable[[Any], Awaitable[str]]) -> None:
        self.sock = sock
        self.op_id = op_id
        self.prefix = prefix
        self.selection = selection
        self._execute = execute
        self.task = asyncio.current_task()  # the operation's: the sink writes only while it is
        self.context = contextvars.copy_context()  # a render it starts runs as the operation's own would

    # __call__ and rendered run for every subscriber of a board on each event: the
    # checks of `_current` are spelled out in them.

    def __call__(self, sub: Any, event: Any) -> bool:
        sock = self.sock
        if sock.closing or sock.ops.get(self.op_id) is not self.task:
            return False
        sock.cfg.renderer.when_ready((event.board_id, event.seq, *self.selection), self, sub, event)
        return True

    def render(self, event: Any) -> Awaitable[str]:
        return self._execute(event)

    def rendered(self, payload: str | None, sub: Any, event: Any) -> None:
        sock, written = self.sock, False
        try:
            written = (payload is not None and sub.direct is self and not sock.closing
                       and sock.ops.get(self.op_id) is self.task and sock.write_frame(frame(self.prefix, payload)))
        finally:  # landed whatever happened: the stream waits for it
            sub.landed(event, written)
