"""The activity log port: what the GraphQL layer reads a board's or a task's
history through.  Two adapters: `notify.activity.DynamoActivityLog` (the
DynamoDB table the relay writes) and `notify.activity_sql.SqlActivityLog` (the
`board_events` table, when AWS is off).

Both page newest first and share one opaque cursor format, base64 of
"seq:<n>": a cursor names the last entry seen, the next page starts below it.
`entry_cursor(entry)` is the cursor of one entry (for edges).  A cursor that is
not one of ours raises `InvalidCursor`, an ApiError with BAD_USER_INPUT."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Protocol

from models.errors import ApiError, ErrorCode, bad_input


@dataclass(frozen=True)
class ActivityEntry:
    id: str  # the event id
    kind: str  # ActivityKind value
    board_id: str
    task_id: str | None
    actor_email: str
    message: str
    changes: dict[str, Any] | None
    at: str  # ISO-8601 UTC with milliseconds and Z
    seq: int


@dataclass
class ActivityPage:
    entries: list[ActivityEntry]
    has_next: bool
    end_cursor: str | None


class ActivityLog(Protocol):
    async def board_activity(self, board_id: str, first: int, after: str | None) -> ActivityPage: ...

    async def task_activity(self, task_id: str, first: int, after: str | None) -> ActivityPage: ...


def encode_activity_cursor(seq: int) -> str:
    """The cursor of an activity entry: opaque to clients, the entry's seq inside."""
    return base64.urlsafe_b64encode(f"seq:{int(seq)}".encode()).decode().rstrip("=")


def decode_activity_cursor(cursor: str) -> int | None:
    """The seq inside a cursor, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != "seq" or not number.isdigit() or len(number) > 15:
        return None
    return int(number)


class InvalidCursor(ApiError, ValueError):
    """A cursor this log did not hand out: BAD_USER_INPUT on field `after`."""

    def __init__(self, message: str = "Invalid cursor") -> None:
        super().__init__(ErrorCode.BAD_USER_INPUT, message, field="after")


def invalid_cursor() -> InvalidCursor:
    return InvalidCursor()


def seq_below(after: str | None) -> int | None:
    """The seq a page after `after` starts below; None for the first page."""
    if after is None:
        return None
    seq = decode_activity_cursor(after)
    if seq is None:
        raise invalid_cursor()
    return seq


def entry_cursor(entry: ActivityEntry) -> str:
    return encode_activity_cursor(entry.seq)


def check_first(first: int) -> int:
    if first < 0:
        raise bad_input("first must not be negative", "first")
    return first


def page_of(entries: list[ActivityEntry], first: int) -> ActivityPage:
    """`entries` fetched with limit first+1, newest first."""
    has_next = len(entries) > first
    kept = entries[:first]
    return ActivityPage(kept, has_next, entry_cursor(kept[-1]) if kept else None)
