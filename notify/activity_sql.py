"""The activity log over the `board_events` table (AWS off, and unit tests)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from models.events import iso
from models.tables import BoardEventRow
from notify.activity_port import ActivityEntry, ActivityPage, check_first, page_of, seq_below


def entry_from_row(row: BoardEventRow) -> ActivityEntry:
    payload = row.payload or {}
    changes = payload.get("changes")
    return ActivityEntry(
        id=row.id,
        kind=str(row.activity_kind.value if hasattr(row.activity_kind, "value") else row.activity_kind),
        board_id=row.board_id,
        task_id=row.task_id,
        actor_email=row.actor_email,
        message=str(payload.get("message") or ""),
        changes=changes if isinstance(changes, dict) else None,
        at=str(payload.get("at") or iso(row.created_at)),
        seq=int(row.seq),
    )


class SqlActivityLog:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def board_activity(self, board_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._page(col(BoardEventRow.board_id) == board_id, first, after)

    async def task_activity(self, task_id: str, first: int, after: str | None) -> ActivityPage:
        # A task lives on one board, so its events' seqs are one increasing sequence.
        return await self._page(col(BoardEventRow.task_id) == task_id, first, after)

    async def _page(self, where: Any, first: int, after: str | None) -> ActivityPage:
        check_first(first)
        below = seq_below(after)
        query = select(BoardEventRow).where(where)
        if below is not None:
            query = query.where(BoardEventRow.seq < below)  # type: ignore[arg-type]
        query = query.order_by(BoardEventRow.seq.desc()).limit(first + 1)  # type: ignore[attr-defined]
        async with self._session_factory() as session:
            found = list((await session.execute(query)).scalars())
        return page_of([entry_from_row(r) for r in found], first)
