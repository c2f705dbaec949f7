"""Claims and leases of outbox rows: which relay delivers a `board_events` row.

A lease is `next_attempt_at` in the future on a pending row; `attempts` is its
fence (a claim counts an attempt, so a relay whose lease was taken over cannot
write a backoff over the new holder's).

Claim: in a short write transaction, one batch of due rows (pending, no lease
or an expired one), `FOR UPDATE SKIP LOCKED` on MySQL, leased and counted.  On
MySQL the rows are read in the order of the index `ix_board_events_pending`
(pending, next_attempt_at), forced: InnoDB locks every row it reads before the
server sorts, so an ORDER BY the index cannot serve (created_at, say) would
lock every due row and leave none to the other relays however small the LIMIT.
Rows never attempted (no lease) come first, then those whose lease or backoff
ran out, the earliest due first.  SQLite has one writer at a time (the gate),
so it keeps the oldest-first order.

Renewal: a delivery can outlast the lease (slow AWS answers, a large batch);
while it runs `LeaseRenewal` extends the lease of its rows every lease/3, so
no other relay takes them and sends them a second time.

Mark: after a delivery, per destination, and a backoff for what failed; and the
two reads the relay's scheduler needs (`backlog`, `next_due`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from models.db import WriteGate
from models.table_refs import events_t
from models.tables import BoardEventRow, utcnow

PENDING_INDEX = "ix_board_events_pending"
MAX_ERROR_CHARS = 2000


@dataclass
class Claimed:
    """A row this relay holds the lease of, and what its delivery did."""

    id: str
    seq: int
    board_id: str
    attempts: int
    payload: dict[str, Any]
    detail_type: str
    log_done: bool
    bus_done: bool
    log_ok: bool = False
    bus_ok: bool = False
    errors: list[str] = field(default_factory=list)


def due_rows(now: datetime, limit: int, *, mysql: bool) -> Select[Any]:
    query = select(BoardEventRow).where(
        col(BoardEventRow.pending) == True,  # noqa: E712
        or_(col(BoardEventRow.next_attempt_at).is_(None), col(BoardEventRow.next_attempt_at) <= now),
    )
    if mysql:
        return (query.with_hint(events_t, f"FORCE INDEX ({PENDING_INDEX})", dialect_name="mysql")
                .order_by(col(BoardEventRow.pending), col(BoardEventRow.next_attempt_at))
                .limit(limit)
                .with_for_update(skip_locked=True))
    return query.order_by(col(BoardEventRow.created_at), col(BoardEventRow.seq)).limit(limit)


async def claim(session_factory: async_sessionmaker[AsyncSession], gate: WriteGate, *, mysql: bool,
                batch_size: int, lease_seconds: float) -> list[Claimed]:
    """Lease one batch of due rows to the caller; [] when none is due (or every due
    row is being claimed by another relay right now)."""
    now = utcnow()
    lease_until = now + timedelta(seconds=lease_seconds)
    async with gate, session_factory() as session:
        await session.connection(execution_options={"write": True})
        found: list[BoardEventRow] = list((await session.execute(due_rows(now, batch_size, mysql=mysql))).scalars())
        if not found:
            await session.rollback()
            return []
        # One statement for the batch; the rows are ours (locked, or SQLite's one writer).
        await session.execute(
            update(BoardEventRow)
            .where(col(BoardEventRow.id).in_([row.id for row in found]))
            .values(next_attempt_at=lease_until, attempts=func.coalesce(BoardEventRow.attempts, 0) + 1)
            .execution_options(synchronize_session=False)  # the rows were read above, as they were
        )
        claimed = [
            Claimed(id=row.id, seq=row.seq, board_id=row.board_id, attempts=(row.attempts or 0) + 1,
                    payload=dict(row.payload), detail_type=row.detail_type,
                    log_done=row.log_delivered_at is not None, bus_done=row.bus_delivered_at is not None)
            for row in found
        ]
        await session.commit()
    return claimed


async def renew(session_factory: async_sessionmaker[AsyncSession], gate: WriteGate, claimed: Sequence[Claimed],
                lease_seconds: float) -> int:
    """Extend the lease of the rows still ours (pending, same attempt); how many were."""
    by_attempt: dict[int, list[str]] = defaultdict(list)
    for c in claimed:
        by_attempt[c.attempts].append(c.id)
    if not by_attempt:
        return 0
    ours = or_(*(and_(col(BoardEventRow.id).in_(ids), col(BoardEventRow.attempts) == attempts)
                 for attempts, ids in by_attempt.items()))
    async with gate, session_factory() as session:
        await session.connection(execution_options={"write": True})
        result: Any = await session.execute(
            update(BoardEventRow)
            .where(col(BoardEventRow.pending) == True, ours)  # noqa: E712
            .values(next_attempt_at=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    return int(result.rowcount or 0)


class LeaseRenewal:
    """`async with LeaseRenewal(...)` around a delivery: the lease of its rows is
    renewed every lease/3 until the block ends (before the rows are marked, so a
    renewal never overwrites a backoff)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], gate: WriteGate,
                 claimed: Sequence[Claimed], lease_seconds: float, log: logging.Logger) -> None:
        self._session_factory = session_factory
        self._gate = gate
        self._claimed = list(claimed)
        self._lease = lease_seconds
        self._log = log
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LeaseRenewal:
        if self._claimed:
            self._task = asyncio.create_task(self._run(), name="outbox-lease-renewal")
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await task  # lets a renewal in flight finish: no statement is cut off
        except asyncio.CancelledError:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise

    async def _run(self) -> None:
        interval = self._lease / 3
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), interval)
            if self._stop.is_set():
                return
            try:
                held = await renew(self._session_factory, self._gate, self._claimed, self._lease)
            except Exception as exc:  # the next tick tries again; the lease may still hold
                self._log.warning("could not renew the lease of %d outbox rows: %s", len(self._claimed), exc)
                continue
            if held < len(self._claimed):
                # Some went to another relay (our lease ran out before a renewal got
                # through): those may be delivered twice; the mailer dedups on event id.
                self._log.warning("outbox lease renewal: %d of %d rows are no longer ours",
                                  len(self._claimed) - held, len(self._claimed))


@dataclass
class Marked:
    """What `mark` wrote: rows now fully delivered, rows that failed, and the
    shortest backoff given (None: no failure), for the relay's next sweep."""

    delivered: int = 0
    failed: int = 0
    soonest_retry: float | None = None


def _undelivered_values(c: Claimed, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if c.log_ok and not c.log_done:
        values["log_delivered_at"] = now
    if c.bus_ok and not c.bus_done:
        values["bus_delivered_at"] = now
    return values


async def _mark_one(session: AsyncSession, c: Claimed, now: datetime, backoff: Callable[[int], float],
                    log: logging.Logger, out: Marked) -> None:
    values = _undelivered_values(c, now)
    if (c.log_done or c.log_ok) and (c.bus_done or c.bus_ok):
        values.update(pending=False, next_attempt_at=None)
        out.delivered += 1
        # Delivered is delivered, whoever holds the lease now.
        await session.execute(update(BoardEventRow).where(col(BoardEventRow.id) == c.id).values(**values))
        return
    error = "; ".join(c.errors)[:MAX_ERROR_CHARS] or "not delivered"
    out.failed += 1
    if values:  # the destination that did succeed stays done
        await session.execute(update(BoardEventRow).where(col(BoardEventRow.id) == c.id).values(**values))
    # The backoff only if the lease is still ours (attempts is the fence).
    delay = backoff(c.attempts)
    out.soonest_retry = delay if out.soonest_retry is None else min(out.soonest_retry, delay)
    await session.execute(
        update(BoardEventRow)
        .where(and_(col(BoardEventRow.id) == c.id, col(BoardEventRow.attempts) == c.attempts))
        .values(last_error=error, next_attempt_at=now + timedelta(seconds=delay))
    )
    log.warning("outbox event %s (board %s seq %s) not delivered, attempt %d, retry in %.1fs: %s",
                c.id, c.board_id, c.seq, c.attempts, delay, error)


async def mark(session_factory: async_sessionmaker[AsyncSession], gate: WriteGate, claimed: Sequence[Claimed],
               backoff: Callable[[int], float], log: logging.Logger) -> Marked:
    """Per destination `log_delivered_at` / `bus_delivered_at`, `pending` false once
    both are done; a failed row gets `last_error` and a backoff from `backoff(attempts)`."""
    now = utcnow()
    out = Marked()
    async with gate, session_factory() as session:
        await session.connection(execution_options={"write": True})
        # The usual case, both destinations done in this attempt: one statement for all.
        fresh = {c.id for c in claimed if c.log_ok and c.bus_ok and not c.log_done and not c.bus_done}
        if fresh:
            await session.execute(
                update(BoardEventRow)
                .where(col(BoardEventRow.id).in_(sorted(fresh)))
                .values(log_delivered_at=now, bus_delivered_at=now, pending=False, next_attempt_at=None)
            )
            out.delivered += len(fresh)
        for c in claimed:
            if c.id not in fresh:
                await _mark_one(session, c, now, backoff, log, out)
        await session.commit()
    return out


def _aware(value: datetime) -> datetime:
    # min() bypasses the column type on some backends: a naive UTC datetime.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def backlog(session_factory: async_sessionmaker[AsyncSession]) -> tuple[int, float]:
    """(pending rows, age in seconds of the oldest pending row)."""
    async with session_factory() as session:
        result = await session.execute(
            select(func.count(), func.min(BoardEventRow.created_at)).where(col(BoardEventRow.pending) == True)  # noqa: E712
        )
        count, oldest = result.one()
    if not count or oldest is None:
        return 0, 0.0
    return int(count), max(0.0, (utcnow() - _aware(oldest)).total_seconds())


async def next_due(session_factory: async_sessionmaker[AsyncSession], ceiling: float) -> float:
    """Seconds until the earliest backed-off or leased pending row falls due, at most `ceiling`."""
    async with session_factory() as session:
        result = await session.execute(
            select(func.min(BoardEventRow.next_attempt_at)).where(col(BoardEventRow.pending) == True)  # noqa: E712
        )
        due: datetime | None = result.scalar_one_or_none()
    if due is None:
        return ceiling
    return max(0.01, min(ceiling, (_aware(due) - utcnow()).total_seconds() + 0.01))
