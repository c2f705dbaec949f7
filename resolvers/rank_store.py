"""Reading a status column's order keys (models.ranks does the arithmetic)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select

from models import ranks
from models.tables import TaskStatus
from resolvers.records import tasks_t

_LAST_KEY = select(func.max(tasks_t.c.rank)).where(tasks_t.c.board_id == bindparam("board_id"),
                                                   tasks_t.c.status == bindparam("status"))


async def end_of_column(conn: Any, board_id: str, status: TaskStatus) -> str:
    """The key after every task of the column: new tasks, and tasks moved into a
    column without neighbours, go to its end.  Read under the board's lock."""
    last = (await conn.execute(_LAST_KEY, {"board_id": board_id, "status": status.value})).scalar_one_or_none()
    return ranks.between(last, None)
