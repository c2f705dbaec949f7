"""A live socket's own side: what it writes and when (`taskboard.ws` speaks the protocol).

Frames of subscriptions go out at once (`send_now`, or `write_frame` for a frame
many sockets share); the server's own messages go through a bounded queue and a
writer task that exists only while there is something to write.  One timer
covers the connection_init deadline, the keep-alive ping and the token's expiry."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from typing import Any

import orjson
from graphql import GraphQLSchema
from starlette.websockets import WebSocket, WebSocketState

from resolvers.context import Services
from schema.execution import Operations
from schema.persisted import PersistedStore
from taskboard.clientaddr import connection_address
from taskboard.live_render import EventRenderer
from taskboard.settings import Settings
from taskboard.ws_protocol import text_frame

# Close codes of the protocol, and ours.
BAD_MESSAGE, UNAUTHORIZED, FORBIDDEN, INIT_TIMEOUT, DUPLICATE_ID, TOO_MANY_INITS = 4400, 4401, 4403, 4408, 4409, 4429
SLOW_CONSUMER = 1013  # "try again later": reconnect and resume with afterSeq
# The sockets' timers run in this one context: a handle otherwise copies the
# current one, and a socket re-arms its timer for as long as it is open.
_TIMER_CONTEXT = contextvars.Context()


class ProtocolConfig:
    def __init__(self, operations: Operations, services: Services, settings: Settings,
                 persisted: PersistedStore | None = None) -> None:
        self.operations = operations
        self.persisted = persisted
        self.schema: GraphQLSchema = operations.schema
        self.services = services
        self.settings = settings
        self.renderer = EventRenderer()
        self.max_frame = 64 * 1024
        self.out_queue = 256


class SocketIO:
    # Thousands of these sit idle on one board: slots, no queue until there is
    # something to queue, and the timers a TimerHandle rather than a task.
    __slots__ = ("_asgi_send", "_closer", "_next_ping", "_out", "_proto", "_room", "_timer", "_writer_task",
                 "acked", "cfg", "closing", "expires_at", "init_received", "ip", "opened", "ops", "viewer_id", "ws")

    def __init__(self, websocket: WebSocket, config: ProtocolConfig) -> None:
        self.ws = websocket
        self.cfg = config
        self.viewer_id: str | None = None
        self.acked = False
        self.init_received = False
        self.ops: dict[str, asyncio.Task[None]] = {}
        self._out: deque[str] | None = None  # our own messages waiting for the writer
        self._room: asyncio.Future[None] | None = None  # replies waiting for room in `_out`
        self.closing = False
        self.ip = connection_address(websocket, config.settings.trusted_networks)
        self.opened = asyncio.get_running_loop().time()
        self.expires_at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._next_ping = 0.0
        self._closer: asyncio.Task[None] | None = None  # a close the timer started
        self._writer_task: asyncio.Task[None] | None = None
        # Frames go to the ASGI send itself once the socket is accepted: Starlette's
        # send_text and send are two more coroutines per frame and check a state that
        # `closing` already tracks here, and a board event is a frame per subscriber.
        self._asgi_send = websocket._send
        # Under `taskboard serve` (taskboard.ws_protocol), a frame can go to the transport
        # without the ASGI round: None elsewhere.
        proto = getattr(self._asgi_send, "__self__", None)
        self._proto: Any = proto if hasattr(proto, "write_frame") else None

    async def close(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        with contextlib.suppress(Exception):
            if self.ws.application_state != WebSocketState.DISCONNECTED:
                # A peer that does not read never lets the close frame out: give up after a
                # moment; the server's websocket pings then drop the connection.
                await asyncio.wait_for(self.ws.close(code=code, reason=reason[:120]), 2)

    # -- writing ----------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        """A message of the server's own (keep-alive): dropped when the queue is full,
        since a full queue is traffic enough."""
        if self.closing:
            return
        if self._out is None and self.write_frame(text_frame(orjson.dumps(message))):
            return  # written now: no writer task (thousands of idle sockets ping together)
        if self._out is None or len(self._out) < self.cfg.out_queue:
            self._queue(orjson.dumps(message).decode())

    async def reply(self, message: dict[str, Any]) -> None:
        """A message answering the client: waits for room, so a client that floods us
        with requests is slowed to the pace at which it reads our answers."""
        while not self.closing and self._out is not None and len(self._out) >= self.cfg.out_queue:
            if self._room is None:
                self._room = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._room)  # shared by every waiter: one cancelled leaves it to the others
        if not self.closing:
            self._queue(orjson.dumps(message).decode())

    def _queue(self, frame: str) -> None:
        if self._out is None:
            self._out = deque()
        self._out.append(frame)
        self._ensure_writer()

    def _wake_room(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)

    def _ensure_writer(self) -> None:
        # One task only while there is something to write: an idle socket costs less.
        if self._writer_task is None or self._writer_task.done():
            self._writer_task = asyncio.get_running_loop().create_task(self._writer())

    async def _send_now(self, frame: str) -> bool:
        if self.closing:
            return False
        try:
            if self._proto is not None and self._proto.write_text(frame.encode()):
                return True
            await self._asgi_send({"type": "websocket.send", "text": frame})
        except Exception:  # the peer went away
            self.closing = True
            return False
        return True

    def write_frame(self, frame: bytes) -> bool:
        """A whole websocket frame (`ws_protocol.text_frame`), now or not at all (False:
        the transport's buffer is full, or no such writes here)."""
        if self.closing or self._proto is None:
            return False
        try:
            written: bool = self._proto.write_frame(frame)
        except Exception:  # the peer went away
            self.closing = True
            return False
        return written

    async def _writer(self) -> None:
        out = self._out
        while out and not self.closing:
            frame = out.popleft()
            self._wake_room()
            try:
                await self._asgi_send({"type": "websocket.send", "text": frame})
            except Exception:  # the peer went away
                self.closing = True
        if self._out is out and not out:
            self._out = None  # an idle socket keeps no queue
        if self.closing:
            self._out = None
            self._wake_room()  # unblock anyone waiting for room
        self._writer_task = None  # nor a finished task

    # -- timers -------------------------------------------------------------------

    def _start_timers(self) -> None:
        self._next_ping = asyncio.get_running_loop().time() + self.cfg.settings.keepalive_interval
        self._arm()

    def _arm(self) -> None:
        """The connection_init deadline, the keep-alive ping (an idle socket must see
        traffic within the ALB's 60 s idle timeout) and the token's expiry, in one
        timer (a task per socket cost more than the rest of an idle socket's state)."""
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        wake = self._next_ping if self.acked else self.opened + self.cfg.settings.connection_init_timeout
        if self.expires_at:
            wake = min(wake, loop.time() + self.expires_at - time.time())
        self._timer = loop.call_at(wake, self._tick, context=_TIMER_CONTEXT)

    def _tick(self) -> None:
        self._timer = None
        if self.closing:
            return
        loop = asyncio.get_running_loop()
        if not self.acked:
            if loop.time() >= self.opened + self.cfg.settings.connection_init_timeout:
                self._close_soon(INIT_TIMEOUT, "Connection initialisation timeout")
                return
        elif self.expires_at and time.time() >= self.expires_at:
            self._close_soon(FORBIDDEN, "Access token expired")
            return
        elif loop.time() >= self._next_ping:
            self.send({"type": "ping"})
            self._next_ping = loop.time() + self.cfg.settings.keepalive_interval
        self._arm()

    def _close_soon(self, code: int, reason: str) -> None:
        self._closer = asyncio.get_running_loop().create_task(self.close(code, reason))
