"""The root types and the assembled schema."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Any

import strawberry
from strawberry import ID, UNSET
from strawberry.utils.str_converters import to_camel_case

from models import tables
from models.errors import ApiError
from models.ranks import RANK_DEFAULT
from resolvers import accounts, boards, live, nodes, tasks, viewer_events
from resolvers.records import TaskRec, UserRec
from schema.account_types import BoardInvitation
from schema.comments import Comment
from schema.context import Info
from schema.inputs import CreateTaskInput, NotificationSettingsInput, SignUpInput, UpdateTaskInput
from schema.labels import Label
from schema.scalars import parse_datetime
from schema.types import (
    AuthPayload,
    Board,
    BoardEvent,
    BoardMember,
    BoardRole,
    Node,
    NotificationSettings,
    Task,
    TaskConnection,
    TaskFilter,
    TaskOrder,
    User,
    Viewer,
    _order,
    task_of,
)
from schema.viewer_events import ViewerEvent


def _auth(result: accounts.AuthResult) -> AuthPayload:
    return AuthPayload(access_token=result.access_token, refresh_token=result.refresh_token,
                       expires_in=result.expires_in, user=User.of(result.user))


@strawberry.type
class Query:
    @strawberry.field
    async def viewer(self, info: Info) -> Viewer:
        return Viewer.of(await accounts.viewer(info.context))

    @strawberry.field
    async def boards(self, info: Info) -> list[Board]:
        return [Board.of(b) for b in await boards.list_boards(info.context)]

    @strawberry.field
    async def board(self, info: Info, id: ID) -> Board | None:
        return Board.of(await boards.visible_board(info.context, str(id)))

    @strawberry.field
    async def task(self, info: Info, id: ID) -> Task | None:
        return await task_of(info.context, await tasks.get_task(info.context, str(id)))

    @strawberry.field
    async def node(self, info: Info, id: ID) -> Node | None:
        kind, rec = await nodes.node(info.context, str(id))
        if kind == "Board":
            return Board.of(rec)
        if kind == "Task":
            return await task_of(info.context, rec)
        if kind == "Label":
            return Label.of(rec)
        if kind == "Comment":
            return Comment.of(rec)
        if kind == "BoardInvitation":
            return BoardInvitation.of(rec)
        return User.of(rec)

    @strawberry.field(description="Tasks assigned to the viewer across all their boards.")
    async def my_tasks(self, info: Info, filter: TaskFilter | None = None, order_by: TaskOrder | None = None,
                       first: int | None = 50, after: str | None = None) -> TaskConnection:
        field, desc = _order(order_by)
        return await TaskConnection.of(info.context, await tasks.my_tasks(
            info.context, filter_=filter.to_filter() if filter else None, order=field, descending=desc,
            first=first, after=after))


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        return _auth(await accounts.sign_up(info.context, email=input.email, name=input.name, password=input.password))

    @strawberry.mutation
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        return _auth(await accounts.login(info.context, email=email, password=password))

    @strawberry.mutation
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        return _auth(await accounts.refresh(info.context, refresh_token=refresh_token))

    @strawberry.mutation
    async def logout(self, info: Info, refresh_token: str) -> bool:
        return await accounts.logout(info.context, refresh_token=refresh_token)

    @strawberry.mutation
    async def create_board(self, info: Info, name: str) -> Board:
        return Board.of(await boards.create_board(info.context, name=name))

    @strawberry.mutation
    async def add_board_member(self, info: Info, board_id: ID, email: str,
                               role: BoardRole = tables.BoardRole.MEMBER) -> BoardMember:  # type: ignore[valid-type]
        member = await boards.add_member(info.context, board_id=str(board_id), email=email, role=role)
        return BoardMember.of(member)

    @strawberry.mutation
    async def remove_board_member(self, info: Info, board_id: ID, user_id: ID) -> bool:
        return await boards.remove_member(info.context, board_id=str(board_id), user_id=str(user_id))

    @strawberry.mutation
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        return await task_of(info.context, await tasks.create_task(
            info.context, board_id=str(input.board_id), title=input.title, description=input.description,
            status=input.status, deadline=input.deadline,
            assignee_id=str(input.assignee_id) if input.assignee_id else None,
            label_ids=[str(i) for i in input.label_ids] if input.label_ids else None))

    @strawberry.mutation
    async def update_task(self, info: Info, id: ID, input: UpdateTaskInput) -> Task:
        expected = None if input.expected_version is UNSET else input.expected_version
        task = await tasks.update_task(info.context, str(id), expected_version=expected, **input.changes())
        return await task_of(info.context, task)

    @strawberry.mutation
    async def delete_task(self, info: Info, id: ID, expected_version: int | None = None) -> ID:
        return ID(await tasks.delete_task(info.context, str(id), expected_version=expected_version))

    @strawberry.mutation
    async def update_notification_settings(self, info: Info, input: NotificationSettingsInput) -> NotificationSettings:
        kwargs: dict[str, Any] = {}
        for name in ("email_on_task_change", "email_deadline_reminders", "sms_on_task_change", "phone_number",
                     "email_on_mention"):
            value = getattr(input, name)
            if value is not UNSET:
                kwargs[name] = value
        for name in ("email_on_task_change", "email_deadline_reminders", "sms_on_task_change", "email_on_mention"):
            if name in kwargs and kwargs[name] is None:
                raise ApiError(accounts.ErrorCode.BAD_USER_INPUT, "Turn this setting on or off; it cannot be removed.",
                               field=to_camel_case(name))
        return NotificationSettings.of(await accounts.update_notification_settings(info.context, **kwargs))


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
class Subscription:
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
