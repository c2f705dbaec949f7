"""Retention: what `taskboard prune` deletes, so the tables stop growing forever.

- `board_events`: an event older than the retention period goes once it is
  delivered (`pending` false: the relay sets it when both the activity table and
  the bus have it).  Per board only a prefix goes: nothing from the board's first
  undelivered event on (the outbox never loses a row, and `afterSeq` replay
  never skips over a hole), and never the board's newest event (its `seq` is
  the board's `lastSeq`).
- `refresh_tokens`: a row goes once it has expired (presenting it is refused
  either way, deleted or not), or was revoked longer ago than a grace period
  (its family is dead; the rows stay a while for whoever investigates a
  revocation).  A used row of a live family stays until it expires: presenting
  it again is how a replayed token is recognised.

- the account tables: mail tokens (verification, reset) and phone codes once expired;
  account mail once delivered (or held back by a quota) and older than the event
  retention; invitations closed or expired longer ago than that; quota counters of
  days before yesterday.

Every delete is a short transaction of at most `batch_size` rows, so MySQL never
holds many row locks for long beside the live traffic.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.db import DatabaseTls, make_engine
from models.table_refs import codes_t, events_t, invitations_t, messages_t, refresh_t, tokens_t, usage_t
from models.tables import (
    utcnow,
)

log = logging.getLogger("taskboard.retention")


BATCH_SIZE = 1000
# How long revoked refresh tokens stay after their revocation.
REVOKED_GRACE = timedelta(days=7)
# Boards whose aged events one statement looks for: bounds the statement's size.
_BOARDS_PER_STATEMENT = 100


@dataclass(slots=True)
class PruneResult:
    events: int = 0
    refresh_tokens: int = 0
    account_rows: int = 0
    batches: int = 0
    largest_batch: int = 0

    def _count(self, n: int) -> None:
        self.batches += 1
        self.largest_batch = max(self.largest_batch, n)


async def prune(engine: AsyncEngine, *, now: datetime, event_retention: timedelta,
                token_grace: timedelta = REVOKED_GRACE, batch_size: int = BATCH_SIZE) -> PruneResult:
    result = PruneResult()
    result.events = await _prune_events(engine, now - event_retention, batch_size, result)
    result.refresh_tokens = await _prune_tokens(engine, now, now - token_grace, batch_size, result)
    result.account_rows = await _prune_account_rows(engine, now, now - event_retention, batch_size, result)
    log.info("pruned %d event(s), %d refresh token(s) and %d account row(s) in %d batch(es)", result.events,
             result.refresh_tokens, result.account_rows, result.batches)
    return result


async def prune_database(url: str, *, event_retention: timedelta, now: datetime | None = None,
                         tls: DatabaseTls | None = None) -> PruneResult:
    """One pass over the database at `url` (the `taskboard prune` command)."""
    engine = make_engine(url, pool_size=1, tls=tls)
    try:
        return await prune(engine, now=now or utcnow(), event_retention=event_retention)
    finally:
        await engine.dispose()


async def _limits(engine: AsyncEngine, cutoff: datetime) -> dict[str, int]:
    """Per board with aged events, the highest `seq` that may go."""
    c = events_t.c
    async with engine.connect() as conn:
        aged: dict[str, int] = dict((await conn.execute(
            select(c.board_id, func.max(c.seq)).where(c.created_at < cutoff).group_by(c.board_id))).all())
        if not aged:
            return {}
        # Undelivered rows are few (the outbox backlog): one pass over the pending index.
        held: dict[str, int] = dict((await conn.execute(
            select(c.board_id, func.min(c.seq)).where(c.pending == true()).group_by(c.board_id))).all())
        boards = sorted(aged)
        newest: dict[str, int] = {}
        for i in range(0, len(boards), _BOARDS_PER_STATEMENT):
            chunk = boards[i:i + _BOARDS_PER_STATEMENT]
            newest.update((await conn.execute(
                select(c.board_id, func.max(c.seq)).where(c.board_id.in_(chunk)).group_by(c.board_id))).all())
    limits = {}
    for board, last_aged in aged.items():
        limit = min(last_aged, newest[board] - 1, held.get(board, last_aged + 1) - 1)
        if limit >= 1:
            limits[board] = limit
    return limits


async def _prune_events(engine: AsyncEngine, cutoff: datetime, batch_size: int, result: PruneResult) -> int:
    c = events_t.c
    limits = await _limits(engine, cutoff)
    boards = sorted(limits)
    deleted = 0
    for i in range(0, len(boards), _BOARDS_PER_STATEMENT):
        ranges = or_(*(and_(c.board_id == b, c.seq <= limits[b]) for b in boards[i:i + _BOARDS_PER_STATEMENT]))
        deleted += await _delete_all(engine, c.id, ranges, batch_size, result)
    return deleted


async def _prune_tokens(engine: AsyncEngine, now: datetime, revoked_before: datetime, batch_size: int,
                        result: PruneResult) -> int:
    c = refresh_t.c
    return sum([await _delete_all(engine, c.id, condition, batch_size, result)
                for condition in (c.expires_at <= now, c.revoked_at <= revoked_before)])


def _account_rows(now: datetime, cutoff: datetime) -> list[tuple[Any, Any]]:
    """(the column a batch is picked by, the condition) of every account row that may go."""
    tok, code, msg, inv, usage = tokens_t.c, codes_t.c, messages_t.c, invitations_t.c, usage_t.c
    return [
        (tok.id, tok.expires_at <= now),
        (code.user_id, code.expires_at <= now),
        # Undelivered account mail is the outbox: it stays, however old.
        (msg.id, and_(msg.pending == false(), msg.created_at < cutoff)),
        (inv.id, or_(and_(inv.closed_at.is_not(None), inv.closed_at < cutoff), inv.expires_at < cutoff)),
        (usage.user_id, usage.day < (now - timedelta(days=2)).date()),
    ]


async def _prune_account_rows(engine: AsyncEngine, now: datetime, cutoff: datetime, batch_size: int,
                              result: PruneResult) -> int:
    # `column` may not be the whole key (quota counters): the delete repeats the condition.
    return sum([await _delete_all(engine, column, condition, batch_size, result, recheck=True)
                for column, condition in _account_rows(now, cutoff)])


async def _delete_all(engine: AsyncEngine, column: Any, condition: Any, batch_size: int, result: PruneResult,
                      *, recheck: bool = False) -> int:
    """Delete every row matching `condition`, `batch_size` rows (picked by `column`) a transaction."""
    deleted = 0
    while True:
        n = await _delete_batch(engine, select(column).where(condition).limit(batch_size), column, result,
                                condition if recheck else None)
        deleted += n
        if n < batch_size:
            return deleted


async def _delete_batch(engine: AsyncEngine, pick: Any, id_column: Any, result: PruneResult,
                        condition: Any = None) -> int:
    """Delete the rows `pick` selects, in one short write transaction."""
    async with engine.connect() as conn:
        # `write`: SQLite takes its write lock at BEGIN (models.db), so the delete
        # cannot fail on upgrading a read lock beside the server's writers.
        conn = await conn.execution_options(write=True)
        async with conn.begin():
            ids = await _ids(conn, pick)
            if ids:
                where = id_column.in_(ids) if condition is None else and_(id_column.in_(ids), condition)
                await conn.execute(delete(id_column.table).where(where))
    if ids:
        result._count(len(ids))
    return len(ids)


async def _ids(conn: AsyncConnection, pick: Any) -> Sequence[Any]:
    return [r[0] for r in await conn.execute(pick)]
