"""Types every area uses: the `Node` interface, `PageInfo`, and the activity log
that boards and tasks both show."""

from __future__ import annotations

import strawberry
from strawberry import ID

from models import tables
from models.errors import bad_input
from notify.activity_port import ActivityEntry, ActivityPage, InvalidCursor, entry_cursor
from resolvers.context import Ctx
from schema.scalars import JSON, DateTime, parse_datetime

ActivityKind = strawberry.enum(tables.ActivityKind, name="ActivityKind")


@strawberry.interface
class Node:
    id: ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(name="ActivityEntry", description="One entry of the activity log (DynamoDB in production).")
class ActivityEntryType:
    id: ID
    kind: ActivityKind  # type: ignore[valid-type]
    board_id: ID
    task_id: ID | None
    actor_email: str
    message: str = strawberry.field(description=(
        "Human-readable line, e.g. 'Supervisor ocean1220@naver.com Done Task CI/CD Test at 2023-06-23T07:34:16.948Z'"))
    changes: JSON | None = strawberry.field(
        description='Changed fields, e.g. {"status": {"from": "TODO", "to": "DONE"}}')
    at: DateTime

    @classmethod
    def of(cls, e: ActivityEntry) -> ActivityEntryType:
        return cls(id=ID(e.id), kind=tables.ActivityKind(e.kind), board_id=ID(e.board_id),
                   task_id=ID(e.task_id) if e.task_id else None, actor_email=e.actor_email, message=e.message,
                   changes=e.changes, at=parse_datetime(e.at))  # type: ignore[arg-type]


@strawberry.type
class ActivityEdge:
    cursor: str
    node: ActivityEntryType


@strawberry.type
class ActivityConnection:
    edges: list[ActivityEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, page: ActivityPage) -> ActivityConnection:
        edges = [ActivityEdge(cursor=entry_cursor(e), node=ActivityEntryType.of(e)) for e in page.entries]
        return cls(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor))


async def activity(ctx: Ctx, method: str, key: str, first: int | None, after: str | None) -> ActivityConnection:
    """A page of a board's or a task's activity (`method` of the activity service)."""
    n = ctx.page_size(first)
    try:
        page = await getattr(ctx.services.activity, method)(key, n, after)
    except InvalidCursor:
        raise bad_input("Invalid cursor", "after") from None
    return ActivityConnection.of(page)
