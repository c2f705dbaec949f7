"""The activity log port: read a board's or a task's entries, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ActivityEntry:
    id: str
    kind: str
    board_id: str
    task_id: str | None
    actor_email: str
    message: str
    changes: dict[str, Any] | None
    at: str
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
    import base64

    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_activity_cursor(cursor: str) -> int | None:
    """The seq inside a cursor, or None when it is not one of ours."""
    import base64
    import binascii

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    prefix, _, number = raw.partition(":")
    if prefix != "seq" or not number.isdigit() or len(number) > 15:
        return None
    return int(number)
