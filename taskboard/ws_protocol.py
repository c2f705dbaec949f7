"""uvicorn's sans-I/O websocket protocol, keeping less per connection.

A board with thousands of idle subscribers holds one of these per socket, so
what each keeps after the handshake is most of a subscriber's cost.  Two
things uvicorn keeps are not needed once the socket is open: the handshake's
request and response (their headers: ~4 KiB a socket), and an `asyncio.Queue`
for incoming messages (three deques and an Event: ~3.5 KiB) where one consumer
and a list do; and an asyncio.Event's deque for the write flag."""

from __future__ import annotations

import asyncio
import struct
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.protocol import OPEN

_NO_HEADERS = Headers()


class Inbox:
    """The messages the peer sent, for the one reader of a socket (uvicorn's `receive`)."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        # Reading is paused while a message waits (uvicorn's flow control), so the
        # list holds one or two items and pop(0) costs nothing.
        return self._items.pop(0)


class Writable:
    """uvicorn's `writable` flag (cleared while the transport's buffer is full) without
    asyncio.Event's deque, which every socket kept for a wait that seldom happens."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> None:
        if self._set:
            return
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Writable()  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept":
            # The handshake is done: its request and response are not read again (the
            # scope has the headers).  The request's headers go too: websockets' parser
            # keeps the request itself as long as the connection lasts.
            request: Any = self.request
            if request is not None:
                request.headers = _NO_HEADERS
            self.request = None  # type: ignore[assignment]
            self.response = None  # type: ignore[assignment]

    def write_text(self, data: bytes) -> bool:
        """One unfragmented text frame, written now: a board event is a frame to each of
        thousands of sockets, and websockets' frame machinery plus uvicorn's `send` cost
        more than the write.  False when the frame must take the ordinary way (the
        transport's buffer is full: `send` waits; not open; an extension on)."""
        if not _plainly_open(self):
            return False
        self.transport.write(text_frame(data))
        return True

    def write_frame(self, frame: bytes) -> bool:
        """`write_text` of a frame `text_frame` built (the same frame goes to many sockets)."""
        if not _plainly_open(self):
            return False
        self.transport.write(frame)
        return True


def _plainly_open(proto: Any) -> bool:
    return not (not proto.writable.is_set() or proto.close_sent or proto.conn.state is not OPEN
                or proto.conn.extensions or proto.transport.is_closing())


def text_frame(data: bytes) -> bytes:
    """An unmasked, unfragmented text frame (a server's) of `data`."""
    n = len(data)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 0x10000:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + data
