"""Live board events: a hub that fans committed events out to subscribers, and
the replay-then-live stream each subscription reads.

The stream subscribes to the hub *before* reading the table, then skips what it
already sent and fills any gap from the table, so a change that commits while
a replay runs is neither lost nor sent twice.  A subscriber whose buffer
overflows drops live events and refills them from the table: memory stays
bounded and nothing is missed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from sqlalchemy import select

from models.errors import ApiError, ErrorCode
from models.tables import BoardEventKind, BoardEventRow
from resolvers.boards import visible_board
from resolvers.context import Ctx

log = logging.getLogger("taskboard.live")

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]

REPLAY_BATCH = 200


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


class Subscription:
    """One stream's buffer of live events: bounded, and a waiter woken by `offer`.
    (asyncio.Queue did the same with a good deal more work per event, and an event
    is offered to every subscriber of its board.)"""

    __slots__ = ("_buffer", "_maxsize", "_waiter", "board_id", "resync", "slow")

    def __init__(self, board_id: str, maxsize: int) -> None:
        self.board_id = board_id
        self._buffer: deque[LiveEvent] = deque()
        self._maxsize = maxsize
        self._waiter: asyncio.Future[None] | None = None
        self.slow = False  # dropped an event: the stream ends with SlowConsumer
        self.resync = False  # the cross-instance channel was away: re-read the table

    def offer(self, event: LiveEvent) -> None:
        if len(self._buffer) >= self._maxsize:
            self.slow = True
            return
        self._buffer.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def nudge(self) -> None:
        """Wake the stream to look at `resync` (nothing is queued when it is full:
        then it is not waiting)."""
        if len(self._buffer) < self._maxsize:
            self.offer(RESYNC)

    async def get(self) -> LiveEvent:
        while not self._buffer:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()


class Hub(Protocol):
    def publish(self, events: Sequence[LiveEvent]) -> None: ...

    def subscribe(self, board_id: str) -> Any: ...

    def poll_interval(self) -> float | None: ...


class LocalHub:
    """In-process fan-out: one dict lookup and a put per subscriber."""

    def __init__(self, buffer: int = 256) -> None:
        self._subs: dict[str, set[Subscription]] = {}
        self._buffer = buffer

    def publish(self, events: Sequence[LiveEvent]) -> None:
        for ev in events:
            for sub in self._subs.get(ev.board_id, ()):
                sub.offer(ev)

    @asynccontextmanager
    async def subscribe(self, board_id: str) -> AsyncIterator[Subscription]:
        sub = Subscription(board_id, self._buffer)
        self._subs.setdefault(board_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subs.get(board_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[board_id]

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subs.values())

    def resync_all(self) -> None:
        for subs in self._subs.values():
            for sub in subs:
                sub.resync = True
                sub.nudge()

    def poll_interval(self) -> float | None:
        return None


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

    def subscriber_count(self) -> int:
        return self.local.subscriber_count()

    def poll_interval(self) -> float | None:
        return None if self.connected else self._degraded_poll

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._publisher(), name="live-redis-publisher"),
                       asyncio.create_task(self._listener(), name="live-redis-listener")]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task

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


async def _from_table(ctx: Ctx, board_id: str, after: int, upto: int | None = None) -> list[LiveEvent]:
    q = (
        select(events_t.c.board_id, events_t.c.seq, events_t.c.kind, events_t.c.payload)
        .where(events_t.c.board_id == board_id, events_t.c.seq > after)
        .order_by(events_t.c.seq)
        .limit(REPLAY_BATCH)
    )
    if upto is not None:
        q = q.where(events_t.c.seq < upto)
    async with ctx.read() as s:
        rows = (await s.execute(q)).all()
    return [LiveEvent(r.board_id, r.seq, BoardEventKind(r.kind), r.payload) for r in rows]


async def board_stream(ctx: Ctx, hub: Any, board_id: str, after_seq: int | None) -> AsyncIterator[LiveEvent]:
    viewer_id = ctx.require_viewer()
    board = await visible_board(ctx, board_id)
    if after_seq is not None and after_seq < 0:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`afterSeq` must not be negative", field="afterSeq")
    async with hub.subscribe(board_id) as sub:
        if after_seq is None:
            # Start from now: read the board's seq after subscribing, so nothing between is lost.
            ctx.loaders = type(ctx.loaders)(ctx.services, viewer_id)
            fresh = await visible_board(ctx, board_id)
            last = fresh.event_seq
        else:
            if after_seq > board.event_seq + 1_000_000:
                raise ApiError(ErrorCode.BAD_USER_INPUT, "`afterSeq` is ahead of the board", field="afterSeq")
            last = after_seq
        while True:
            # Everything the table holds after `last` first (the replay, or a gap).
            while True:
                batch = await _from_table(ctx, board_id, last)
                for ev in batch:
                    yield ev
                    last = ev.seq
                    _check_still_member(ev, viewer_id)
                if len(batch) < REPLAY_BATCH:
                    break
            sub.resync = False
            while not sub.resync:
                if sub.slow:
                    raise SlowConsumer
                poll = hub.poll_interval()
                try:
                    ev = await (sub.get() if poll is None else asyncio.wait_for(sub.get(), poll))
                except TimeoutError:
                    break  # cross-instance channel down: look at the table
                if ev is RESYNC or ev.seq <= last:
                    continue
                if ev.seq > last + 1:
                    break  # a gap: another instance's event is not here yet
                yield ev
                last = ev.seq
                _check_still_member(ev, viewer_id)


def _check_still_member(ev: LiveEvent, viewer_id: str) -> None:
    if ev.kind == BoardEventKind.MEMBER_REMOVED:
        member = ev.payload.get("member") or {}
        if (member.get("user") or {}).get("id") == viewer_id:
            raise ApiError(ErrorCode.NOT_FOUND, "Board not found")
