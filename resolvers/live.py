"""Live board events: the replay-then-live stream each subscription reads (the
fan-out that feeds it is `resolvers.live_hub`).

The stream subscribes to the hub *before* reading the board, then skips what it
already sent and fills any gap from the table, so a change that commits while
a replay runs is neither lost nor sent twice.  A subscriber whose buffer
overflows drops live events and refills them from the table: memory stays
bounded and nothing is missed.

The viewer's membership and the board's seq are read once the subscription is
in place: a removal after that read has a later seq and is in what the stream
delivers (its MEMBER_REMOVED ends the stream); one before it refused the read.
So a removal the viewer was re-added after does not end a replay of history.

Once caught up, a stream that waits lets its transport take the next events
around it (`DIRECT`, `Subscription.direct`): the stream keeps `last` in step and
is woken only for what needs it (a gap, a resync, a removal, a board deletion,
an event that could not go that way)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import bindparam, select

from models.errors import ApiError, ErrorCode
from models.tables import Board, BoardEventKind, BoardEventRow
from resolvers.boards import visible_board
from resolvers.context import Ctx, Services
from resolvers.live_hub import RESYNC as RESYNC
from resolvers.live_hub import Direct as Direct
from resolvers.live_hub import Hub as Hub
from resolvers.live_hub import LiveEvent as LiveEvent
from resolvers.live_hub import LocalHub as LocalHub
from resolvers.live_hub import RedisHub as RedisHub
from resolvers.live_hub import SlowConsumer as SlowConsumer
from resolvers.live_hub import Subscription as Subscription

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]
boards_t = Board.__table__  # type: ignore[attr-defined]

REPLAY_BATCH = 200
_BOARD_SEQS = select(boards_t.c.id, boards_t.c.event_seq).where(boards_t.c.id.in_(bindparam("ids", expanding=True)))
_SEQ_CHUNK = 500
# Set by the transport in the task that reads a stream: what may take the stream's
# events around it while it waits, caught up (taskboard.live_direct).
DIRECT: ContextVar[Direct | None] = ContextVar("live_direct", default=None)


async def _from_table(ctx: Ctx, board_id: str, after: int) -> list[LiveEvent]:
    q = (
        select(events_t.c.board_id, events_t.c.seq, events_t.c.kind, events_t.c.payload)
        .where(events_t.c.board_id == board_id, events_t.c.seq > after)
        .order_by(events_t.c.seq)
        .limit(REPLAY_BATCH)
    )
    async with ctx.read() as s:
        rows = (await s.execute(q)).all()
    return [LiveEvent(r.board_id, r.seq, BoardEventKind(r.kind), r.payload) for r in rows]


async def board_seqs(services: Services, board_ids: list[str]) -> dict[str, int]:
    """The hub's seq watch: the latest seq of each of these boards."""
    out: dict[str, int] = {}
    async with services.reader() as conn:
        for i in range(0, len(board_ids), _SEQ_CHUNK):
            rows = await conn.execute(_BOARD_SEQS, {"ids": board_ids[i:i + _SEQ_CHUNK]})
            out.update((r.id, r.event_seq) for r in rows)
    return out


def reload_error() -> ApiError:
    return ApiError(ErrorCode.BAD_USER_INPUT,
                    "Events after `afterSeq` are no longer kept: reload the board and subscribe from its lastSeq",
                    field="afterSeq", reason="RELOAD")


async def board_stream(ctx: Ctx, hub: Any, board_id: str, after_seq: int | None) -> AsyncIterator[LiveEvent]:
    viewer_id = ctx.require_viewer()
    if after_seq is not None and after_seq < 0:
        raise ApiError(ErrorCode.BAD_USER_INPUT, "`afterSeq` must not be negative", field="afterSeq")
    async with hub.subscribe(board_id) as sub:
        member_at = (await visible_board(ctx, board_id)).event_seq
        if after_seq is not None and after_seq > member_at:
            raise ApiError(ErrorCode.BAD_USER_INPUT, "`afterSeq` is above the board's lastSeq", field="afterSeq")
        last = member_at if after_seq is None else after_seq
        first: list[LiveEvent] | None = None
        if last < member_at:
            # The replay must start right after `afterSeq`: a later start means the
            # retention prune took what the client has not seen.
            first = await _from_table(ctx, board_id, last)
            if not first or first[0].seq != last + 1:
                raise reload_error()
        stream = _Stream(ctx, sub, hub, board_id, viewer_id, member_at, last)
        async with contextlib.aclosing(stream.events(first)) as events:
            async for ev in events:
                yield ev
                if ev.kind == BoardEventKind.BOARD_DELETED:
                    return  # the board's last event: the subscription completes


class _Stream:
    """The replay, then the live events, of one subscription."""

    def __init__(self, ctx: Ctx, sub: Any, hub: Any, board_id: str, viewer_id: str, member_at: int,
                 last: int) -> None:
        self.ctx, self.sub, self.hub, self.board_id = ctx, sub, hub, board_id
        self.viewer_id = viewer_id
        self.member_at = member_at  # the viewer was a member when the board was at this seq
        self.last = last
        self.direct = DIRECT.get()
        sub.seen = max(sub.seen, last)

    async def events(self, batch: list[LiveEvent] | None) -> AsyncGenerator[LiveEvent, None]:
        sub = self.sub
        while True:
            while True:  # everything the table holds after `last` first: the replay, or a gap
                if batch is None:
                    batch = await _from_table(self.ctx, self.board_id, self.last)
                for ev in batch:
                    yield ev
                    self._delivered(ev)
                more, batch = len(batch) >= REPLAY_BATCH, None
                if not more:
                    break
            sub.seen = max(sub.seen, self.last)
            sub.resync = False
            sub.direct = self.direct  # caught up: events may go around the stream while it waits
            try:
                while not sub.resync:
                    if sub.slow:
                        raise SlowConsumer
                    sub.last = self.last
                    poll = self.hub.poll_interval()
                    try:
                        ev = await (sub.get() if poll is None else asyncio.wait_for(sub.get(), poll))
                    except TimeoutError:
                        if sub.busy:
                            continue  # an event is on its way around the stream: the table would repeat it
                        break  # cross-instance channel down: look at the table
                    finally:
                        self.last = sub.last  # and what went around the stream meanwhile
                    if ev is RESYNC or ev.seq <= self.last:
                        continue
                    if ev.seq > self.last + 1:
                        break  # a gap: another instance's event is not here yet
                    yield ev
                    self._delivered(ev)
            finally:
                sub.direct = None

    def _delivered(self, ev: LiveEvent) -> None:
        """After the event went out: its MEMBER_REMOVED for the viewer ends the stream,
        unless the viewer was a member again later (`member_at`)."""
        self.last = ev.seq
        if ev.kind == BoardEventKind.MEMBER_REMOVED and ev.seq > self.member_at:
            member = ev.payload.get("member") or {}
            if (member.get("user") or {}).get("id") == self.viewer_id:
                raise ApiError(ErrorCode.NOT_FOUND, "Board not found")
