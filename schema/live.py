"""The live area: what the `boardEvents` and `viewerEvents` subscriptions push.
The streams yield the committed changes themselves; `live_event_resolver` and
`viewer_event_resolver` (set on the root fields by `schema.build_schema`) build
the GraphQL objects when a selection is rendered, once per event and selection."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Any

import strawberry
from strawberry import ID

from models import tables
from models.ranks import RANK_DEFAULT
from resolvers import live, viewer_events
from resolvers.records import TaskRec, UserRec
from schema.accounts import User
from schema.boards import BoardMember, BoardRole
from schema.comments import Comment
from schema.context import Info
from schema.labels import Label
from schema.scalars import DateTime, parse_datetime
from schema.tasks import Task

BoardEventKind = strawberry.enum(tables.BoardEventKind, name="BoardEventKind")
ViewerEventKind = strawberry.enum(viewer_events.ViewerEventKind, name="ViewerEventKind", description=(
    "SUBSCRIBED comes first: from then on every change is pushed, so (re)load the boards list on it."))


@strawberry.type(description=(
    "A change of the viewer's boards list (an extension of the contract): added to or removed from a board, a "
    "board of theirs renamed or deleted, or an invitation to their address."))
class ViewerEvent:
    kind: ViewerEventKind  # type: ignore[valid-type]
    board_id: ID | None = strawberry.field(description="Null for SUBSCRIBED.")
    board_name: str | None = strawberry.field(description="The board's name (after a rename).")
    role: BoardRole | None = strawberry.field(  # type: ignore[valid-type]
        description="The viewer's role on BOARD_ADDED; the offered one on INVITATION_RECEIVED.")
    by_name: str | None = strawberry.field(description="Who did it, by name.")
    invitation_id: ID | None = strawberry.field(description="Set on INVITATION_RECEIVED.")
    at: DateTime

    @classmethod
    def of(cls, c: viewer_events.ViewerChange) -> ViewerEvent:
        return cls(kind=c.kind, board_id=ID(c.board_id) if c.board_id else None, board_name=c.board_name,
                   role=tables.BoardRole(c.role) if c.role else None, by_name=c.by_name,
                   invitation_id=ID(c.invitation_id) if c.invitation_id else None,
                   at=parse_datetime(c.at))  # type: ignore[arg-type]


@strawberry.type(description="Pushed to board subscribers after a change is committed: every committed\n"
                             "change of the board, task or membership, in seq order.")
class BoardEvent:
    kind: BoardEventKind  # type: ignore[valid-type]
    seq: int
    board_id: ID
    task_id: ID | None
    task: Task | None
    member: BoardMember | None
    actor_email: str
    at: DateTime
    comment: Comment | None = strawberry.field(
        default=None, description="Set for comment events; null for COMMENT_DELETED.")
    comment_id: ID | None = None
    label: Label | None = strawberry.field(
        default=None, description="Set for label events; null for LABEL_DELETED.")
    label_id: ID | None = None
    board_name: str | None = strawberry.field(default=None, description="The board's name after BOARD_RENAMED.")


def board_event(ev: live.LiveEvent) -> BoardEvent:
    p = ev.payload
    task = None
    if ev.kind in (tables.BoardEventKind.TASK_CREATED, tables.BoardEventKind.TASK_UPDATED) and p.get("task"):
        task = snapshot_task(p["task"])
    member = None
    if p.get("member"):
        m = p["member"]
        member = BoardMember(role=tables.BoardRole(m["role"]), added_at=parse_datetime(m["addedAt"]),  # type: ignore[arg-type]
                             _user_id=m["user"]["id"], _user=_snapshot_user(m["user"]))
    return BoardEvent(kind=ev.kind, seq=ev.seq, board_id=ID(ev.board_id),
                      task_id=ID(p["taskId"]) if p.get("taskId") else None, task=task, member=member,
                      actor_email=p["actorEmail"], at=parse_datetime(p["at"]),  # type: ignore[arg-type]
                      **_label_fields(ev), **_comment_fields(ev))


def _comment_fields(ev: live.LiveEvent) -> dict[str, Any]:
    """`comment` and `commentId` of a comment event (no comment after COMMENT_DELETED)."""
    p = ev.payload
    if not p.get("commentId"):
        return {}
    return {"comment_id": ID(p["commentId"]), "comment": Comment.snapshot(p["comment"]) if p.get("comment") else None}


def _label_fields(ev: live.LiveEvent) -> dict[str, Any]:
    """`label`, `labelId` and `boardName` of a label or board event."""
    p = ev.payload
    out: dict[str, Any] = {}
    if p.get("labelId"):
        out.update(label_id=ID(p["labelId"]), label=Label.of(p["label"]) if p.get("label") else None)
    if ev.kind == tables.BoardEventKind.BOARD_RENAMED:
        out["board_name"] = p.get("boardName")
    return out


def _snapshot_user(u: dict[str, Any]) -> UserRec:
    return UserRec(id=u["id"], email=u["email"], name=u["name"], created_at=parse_datetime(u["createdAt"]))


def snapshot_task(t: dict[str, Any]) -> Task:
    """The task as it was right after the change, from the event itself."""
    rec = TaskRec(id=t["id"], board_id=t["boardId"], title=t["title"], description=t["description"],
                  status=tables.TaskStatus(t["status"]),
                  deadline=date.fromisoformat(t["deadline"]) if t.get("deadline") else None,
                  supervisor_id=t["supervisor"]["id"], assignee_id=(t.get("assignee") or {}).get("id"),
                  version=t["version"], created_at=parse_datetime(t["createdAt"]),
                  updated_at=parse_datetime(t["updatedAt"]), rank=t.get("rank") or RANK_DEFAULT)
    assignee = t.get("assignee")
    task = Task.of(rec, User.of(_snapshot_user(t["supervisor"])),
                   User.of(_snapshot_user(assignee)) if assignee else None)
    task._labels = t.get("labels")
    return task


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        description="Every committed task change of one board. With afterSeq, first replays the\n"
                    "events after that sequence number that the server still holds, then goes live.")
    async def board_events(self, info: Info, board_id: ID, after_seq: int | None = None
                           ) -> AsyncGenerator[BoardEvent, None]:
        # The committed events themselves: `BoardEvent`s are built when a selection is
        # rendered (see `live_event_resolver`), once per event and selection, not once
        # per subscriber.
        hub = info.context.services.hub
        async for ev in live.board_stream(info.context, hub, str(board_id), after_seq):
            yield ev  # type: ignore[misc]

    @strawberry.subscription(description=(
        "Changes of the viewer's boards list (an extension of the contract); SUBSCRIBED first. Nothing is "
        "replayed: reload the list on SUBSCRIBED."))
    async def viewer_events(self, info: Info) -> AsyncGenerator[ViewerEvent, None]:
        # The changes themselves; `viewer_event_resolver` builds the ViewerEvent per render.
        async for change in viewer_events.viewer_stream(info.context):
            yield change  # type: ignore[misc]


def live_event_resolver(event: Any, _info: Any, **_args: Any) -> Any:
    return board_event(event) if isinstance(event, live.LiveEvent) else event


def viewer_event_resolver(event: Any, _info: Any, **_args: Any) -> Any:
    return ViewerEvent.of(event) if isinstance(event, viewer_events.ViewerChange) else event
