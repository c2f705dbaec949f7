"""Reading one thing by its id: an id of another kind and a missing row are both
NOT_FOUND with the thing's own message (what exists is not leaked)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncConnection

from models.errors import not_found
from models.ids import kind_of


def require_kind(thing_id: str, kind: str, missing: str) -> None:
    """NOT_FOUND `missing` unless `thing_id` is the id of a `kind`."""
    if kind_of(thing_id) != kind:
        raise not_found(missing)


async def one_row(conn: AsyncConnection, missing: str, statement: Executable,
                  params: Mapping[str, Any] | None = None) -> Any:
    """The statement's first row; NOT_FOUND `missing` when there is none."""
    row = (await conn.execute(statement, params)).first()
    if row is None:
        raise not_found(missing)
    return row
