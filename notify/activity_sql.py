"""The activity log port over the `board_events` table: used when AWS is off,
and the reference the DynamoDB reader is tested against."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.tables import BoardEventRow
from notify.activity_port import (
    ActivityEntry,
    ActivityPage,
    decode_activity_cursor,
    encode_activity_cursor,
)

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]


def _entry(row: Any) -> ActivityEntry:
    p = row.payload
    return ActivityEntry(
        id=row.id,
        kind=row.activity_kind,
        board_id=row.board_id,
        task_id=row.task_id,
        actor_email=row.actor_email,
        message=p.get("message", ""),
        changes=p.get("changes"),
        at=p.get("at", ""),
        seq=row.seq,
    )


class SqlActivityLog:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def _page(self, where: Any, first: int, after: str | None) -> ActivityPage:
        q = select(
            events_t.c.id,
            events_t.c.activity_kind,
            events_t.c.board_id,
            events_t.c.task_id,
            events_t.c.actor_email,
            events_t.c.payload,
            events_t.c.seq,
        ).where(where)
        if after is not None:
            seq = decode_activity_cursor(after)
            if seq is None:
                from models.errors import bad_input

                raise bad_input("Invalid cursor", "after")
            q = q.where(events_t.c.seq < seq)
        q = q.order_by(events_t.c.seq.desc()).limit(first + 1)
        async with self._session_factory() as s:
            rows = (await s.execute(q)).all()
        entries = [_entry(r) for r in rows[:first]]
        return ActivityPage(
            entries, len(rows) > first, encode_activity_cursor(entries[-1].seq) if entries else None
        )

    async def board_activity(self, board_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._page(events_t.c.board_id == board_id, first, after)

    async def task_activity(self, task_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._page(events_t.c.task_id == task_id, first, after)
