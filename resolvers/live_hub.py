"""The live fan-out: a hub hands committed board events to the subscriptions of
their board, in this process (`LocalHub`) or across instances (`RedisHub`).

A push can still be lost (a listener that never ran, a message Redis dropped):
the hub's seq watch compares each watched board's `event_seq` with what its
subscriptions have seen, now and then, and wakes those behind to read the
table.  One query per interval for all the boards of the process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from models.tables import BoardEventKind, BoardEventRow

log = logging.getLogger("taskboard.live")

# Reads the `event_seq` of the given boards (those that still exist).
SeqReader = Callable[[list[str]], Awaitable[dict[str, int]]]


@dataclass(frozen=True, slots=True)
class LiveEvent:
    board_id: str
    seq: int
    kind: BoardEventKind
    payload: dict[str, Any]

    @classmethod
    def of(cls, row: BoardEventRow) -> LiveEvent:
        return cls(row.board_id, row.seq, BoardEventKind(row.kind), row.payload)


# Put in a subscription's queue to make its stream re-read the table (after the
# cross-instance channel was down and events may have been missed).
RESYNC = LiveEvent("", 0, BoardEventKind.TASK_UPDATED, {})


class SlowConsumer(Exception):
    """The subscriber fell further behind than its buffer: it should reconnect and
    resume with afterSeq rather than hold the server's memory."""


# Kinds the stream must look at itself (a MEMBER_REMOVED may end it, a BOARD_DELETED does).
_CHECKED = frozenset({BoardEventKind.MEMBER_REMOVED, BoardEventKind.BOARD_DELETED})


class Subscription:
    """One stream's buffer of live events: bounded, and a waiter woken by `offer`.
    (asyncio.Queue did the same with a good deal more work per event, and an event
    is offered to every subscriber of its board.)

    While its stream waits, caught up, an event may go around it: `direct` (set by
    the stream, see resolvers.live.DIRECT) takes it and calls `landed` once it was
    written or not.  Until then the stream is not woken, so nothing overtakes it."""

    __slots__ = ("_buffer", "_inflight", "_maxsize", "_waiter", "board_id", "direct", "last", "resync", "seen",
                 "slow")

    def __init__(self, board_id: str, maxsize: int) -> None:
        self.board_id = board_id
        # None while empty: a deque keeps a 64-slot block (~760 bytes) even when empty,
        # and thousands of idle subscribers hold an empty buffer.
        self._buffer: deque[LiveEvent] | None = None
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self.slow = False  # dropped an event: the stream ends with SlowConsumer
        self.resync = False  # the cross-instance channel was away: re-read the table
        self.seen = 0  # the highest seq offered or read: the seq watch compares the board's with it
        self.direct: Direct | None = None
        self.last = 0  # the seq last delivered, while `direct` is set
        self._inflight: LiveEvent | None = None  # the event `direct` took and has not landed

    @property
    def busy(self) -> bool:
        """An event went around the stream and has not landed."""
        return self._inflight is not None

    def offer(self, event: LiveEvent) -> None:
        if event.seq > self.seen:
            self.seen = event.seq
        direct = self.direct
        if direct is not None and self._goes_direct(event):
            self._inflight = event
            if direct(self, event):
                return
            self._inflight = None
        buffer = self._buffer
        if buffer is None:
            buffer = self._buffer = deque()
        if len(buffer) >= self._maxsize:
            self.slow = True
            return
        buffer.append(event)
        if self._inflight is None:
            self._wake()

    def _goes_direct(self, event: LiveEvent) -> bool:
        """The stream waits with nothing buffered, the event is the next one, and it
        is not one the stream must look at."""
        waiter = self._waiter
        return (self._inflight is None and self._buffer is None and waiter is not None and not waiter.done()
                and event.seq == self.last + 1 and event.kind not in _CHECKED and event is not RESYNC
                and not self.slow and not self.resync)

    def landed(self, event: LiveEvent, delivered: bool) -> None:
        """The end of a direct delivery: the event went out, or it is the stream's to send."""
        if self._inflight is not event:
            return
        self._inflight = None
        if delivered:
            self.last = event.seq
        else:
            if self._buffer is None:
                self._buffer = deque()
            self._buffer.appendleft(event)
        if self._buffer:
            self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def nudge(self) -> None:
        """Wake the stream to look at `resync` (nothing is queued when it is full:
        then it is not waiting)."""
        if self._buffer is None or len(self._buffer) < self._maxsize:
            self.offer(RESYNC)

    async def get(self) -> LiveEvent:
        while not self._buffer or self._inflight is not None:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        event = self._buffer.popleft()
        if not self._buffer:
            self._buffer = None
        return event


# Takes an event around a waiting stream (True), to call `Subscription.landed` later.
Direct = Callable[[Subscription, LiveEvent], bool]


class Hub(Protocol):
    def publish(self, events: Sequence[LiveEvent]) -> None: ...

    def subscribe(self, board_id: str) -> Any: ...

    def poll_interval(self) -> float | None: ...

    def watch_seqs(self, read: SeqReader, interval: float) -> None: ...


class LocalHub:
    """In-process fan-out: one dict lookup and a put per subscriber."""

    def __init__(self, buffer: int = 256) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._buffer = buffer
        self._watch: asyncio.Task[None] | None = None

    def publish(self, events: Sequence[LiveEvent]) -> None:
        for ev in events:
            for sub in self._subs.get(ev.board_id, ()):
                sub.offer(ev)

    @asynccontextmanager
    async def subscribe(self, board_id: str) -> AsyncIterator[Subscription]:
        sub = Subscription(board_id, self._buffer)
        self.attach(board_id, sub)
        try:
            yield sub
        finally:
            self.detach(board_id, sub)

    def new_subscription(self, key: str) -> Subscription:
        return Subscription(key, self._buffer)

    def attach(self, key: str, sub: Subscription) -> None:
        """`sub` gets the events of `key` too (a board, or a user's channel): one
        buffer for a stream that follows many boards (resolvers.viewer_events)."""
        self._subs.setdefault(key, set()).add(sub)

    def detach(self, key: str, sub: Subscription) -> None:
        subs = self._subs.get(key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[key]

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def resync_all(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub.resync = True
                sub.nudge()

    def poll_interval(self) -> float | None:
        return None

    def watch_seqs(self, read: SeqReader, interval: float) -> None:
        if self._watch is None:
            self._watch = asyncio.create_task(self._watch_seqs(read, interval), name="live-seq-watch")

    async def stop(self) -> None:
        task, self._watch = self._watch, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def _watch_seqs(self, read: SeqReader, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.check_seqs(await read(list(self._subs)) if self._subs else {})
            except Exception as exc:  # the next round tries again; pushes still flow meanwhile
                log.warning("live seq watch failed (%s)", type(exc).__name__)

    def check_seqs(self, seqs: dict[str, int]) -> None:
        """Wake the subscriptions that have not seen their board's latest seq."""
        for board_id, seq in seqs.items():
            for sub in self._subs.get(board_id, ()):
                if sub.seen < seq:
                    sub.resync = True
                    sub.nudge()


class RedisHub:
    """Fan-out across instances through Redis pub/sub.

    Each instance hands its own commits to its local subscribers at once and
    publishes them, in commit order, from a background task (a mutation never
    waits on Redis).  One pattern subscription per instance feeds the other
    instances' events to local subscribers.  Streams skip what they already
    sent and fill gaps from the table, so reordering between instances and
    echoes cost nothing.  While Redis is unreachable the streams poll the table;
    when it is back every stream re-reads the table once."""

    CHANNEL = "taskboard:board:"

    def __init__(self, redis: Any, *, buffer: int = 256, degraded_poll: float = 5.0) -> None:
        self._redis = redis
        self.local = LocalHub(buffer)
        self.instance = uuid.uuid4().hex
        self._outbox: asyncio.Queue[LiveEvent] = asyncio.Queue(10_000)
        self._degraded_poll = degraded_poll
        self.connected = False
        self._tasks: list[asyncio.Task[None]] = []
        self.published = 0
        self.received = 0

    def publish(self, events: Sequence[LiveEvent]) -> None:
        self.local.publish(events)
        for ev in events:
            try:
                self._outbox.put_nowait(ev)
            except asyncio.QueueFull:  # Redis long gone: the table has every event
                log.warning("live fan-out backlog full; other instances will read seq %s from the table", ev.seq)

    def subscribe(self, board_id: str) -> Any:
        return self.local.subscribe(board_id)

    def new_subscription(self, key: str) -> Subscription:
        return self.local.new_subscription(key)

    def attach(self, key: str, sub: Subscription) -> None:
        self.local.attach(key, sub)

    def detach(self, key: str, sub: Subscription) -> None:
        self.local.detach(key, sub)

    def subscriber_count(self) -> int:
        return self.local.subscriber_count()

    def poll_interval(self) -> float | None:
        return None if self.connected else self._degraded_poll

    def watch_seqs(self, read: SeqReader, interval: float) -> None:
        self.local.watch_seqs(read, interval)

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._publisher(), name="live-redis-publisher"),
                       asyncio.create_task(self._listener(), name="live-redis-listener")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.local.stop()

    async def _publisher(self) -> None:
        pending: LiveEvent | None = None
        while True:
            ev = pending or await self._outbox.get()
            pending = None
            message = orjson.dumps({"o": self.instance, "b": ev.board_id, "s": ev.seq, "k": ev.kind.value,
                                    "p": ev.payload})
            try:
                await self._redis.publish(self.CHANNEL + ev.board_id, message)
                self.published += 1
            except Exception as exc:  # keep the order: retry this one first
                log.warning("live fan-out publish failed (%s); retrying", type(exc).__name__)
                pending = ev
                await asyncio.sleep(1.0)

    async def _listener(self) -> None:
        backoff = 0.2
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.CHANNEL + "*")
                if not self.connected:
                    self.connected = True
                    self.local.resync_all()  # whatever was published while we were away
                backoff = 0.2
                while True:
                    message = await pubsub.get_message(timeout=30.0)
                    if message is None or message.get("type") != "pmessage":
                        continue
                    data = orjson.loads(message["data"])
                    if data["o"] == self.instance:
                        continue
                    self.received += 1
                    self.local.publish([LiveEvent(data["b"], data["s"], BoardEventKind(data["k"]), data["p"])])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.connected:
                    log.warning("live fan-out lost Redis (%s); streams poll the table until it is back",
                                type(exc).__name__)
                    self.connected = False
                    self.local.resync_all()  # wake every stream so it starts polling
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
