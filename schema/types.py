"""Output types of the contract, built from the resolvers' records."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import ID, Private

from models import tables
from models.errors import bad_input, not_found
from notify.activity_port import ActivityEntry, ActivityPage, InvalidCursor, entry_cursor
from resolvers import comments as comment_ops
from resolvers import invitations as invitation_ops
from resolvers import tasks as task_ops
from resolvers.boards import visible_board
from resolvers.context import Ctx
from resolvers.records import BoardRec, MemberRec, PersonRec, TaskRec, UserRec
from schema.client import TaskPermissions, task_permissions
from schema.context import Info
from schema.scalars import JSON, Date, DateTime, parse_datetime

if TYPE_CHECKING:
    from schema.account_types import BoardInvitation
    from schema.comments import Comment, CommentConnection
    from schema.labels import Label

TaskStatus = strawberry.enum(tables.TaskStatus, name="TaskStatus")
BoardRole = strawberry.enum(tables.BoardRole, name="BoardRole")
BoardEventKind = strawberry.enum(tables.BoardEventKind, name="BoardEventKind")
ActivityKind = strawberry.enum(tables.ActivityKind, name="ActivityKind")


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


TaskOrderField = strawberry.enum(task_ops.OrderField, name="TaskOrderField")


@strawberry.interface
class Node:
    id: ID


@strawberry.type
class User(Node):
    id: ID
    email: str
    name: str
    created_at: DateTime

    @classmethod
    def of(cls, u: UserRec | PersonRec) -> User:
        return cls(id=ID(u.id), email=u.email, name=u.name, created_at=u.created_at)  # type: ignore[arg-type]


@strawberry.type
class NotificationSettings:
    email_on_task_change: bool = strawberry.field(
        description="Mail me when a task I supervise or am assigned to changes.")
    email_deadline_reminders: bool = strawberry.field(
        description="Mail me about my tasks that are due within a day or overdue.")
    sms_on_task_change: bool = strawberry.field(
        description="Also text me (SMS through SNS) when a task I am assigned to changes.")
    phone_number: str | None = strawberry.field(
        description="E.164 phone number for SMS, e.g. +821012345678; null when none is set.")
    phone_verified: bool = strawberry.field(default=False, description=(
        "True once the number was confirmed with the code texted to it; SMS goes only to confirmed numbers."))
    email_on_mention: bool = strawberry.field(default=True,
                                              description="Mail me when someone mentions me in a comment.")
    _email: Private[str | None] = None

    @strawberry.field(description=(
        "True when no more mail goes to the viewer's address: a mail to it bounced for good or was "
        "reported as spam (an extension of the contract)."))
    async def email_suppressed(self, info: Info) -> bool:
        return await self._suppression(info) is not None

    @strawberry.field(description="BOUNCE or COMPLAINT when emailSuppressed, else null (an extension of the contract).")
    async def email_suppressed_reason(self, info: Info) -> str | None:
        return await self._suppression(info)

    async def _suppression(self, info: Info) -> str | None:
        reader = info.context.services.mail_suppressions
        if reader is None or not self._email:
            return None
        reason: str | None = await reader.reason(self._email)
        return reason

    @classmethod
    def of(cls, u: UserRec) -> NotificationSettings:
        return cls(email_on_task_change=u.email_on_task_change, email_deadline_reminders=u.email_deadline_reminders,
                   sms_on_task_change=u.sms_on_task_change, phone_number=u.phone_number,
                   phone_verified=u.phone_verified, email_on_mention=u.email_on_mention, _email=u.email)


@strawberry.type
class Viewer:
    user: User
    notification_settings: NotificationSettings
    email_verified: bool = strawberry.field(
        default=False, description="True once the viewer followed the link mailed to their address.")

    @strawberry.field(description="Open invitations addressed to the viewer's (verified) email.")
    async def invitations(self, info: Info
                          ) -> list[Annotated[BoardInvitation, strawberry.lazy("schema.account_types")]]:
        from schema.account_types import BoardInvitation

        return [BoardInvitation.of(i) for i in await invitation_ops.viewer_invitations(info.context)]

    @classmethod
    def of(cls, u: UserRec) -> Viewer:
        return cls(user=User.of(u), notification_settings=NotificationSettings.of(u), email_verified=u.email_verified)


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


@strawberry.type
class BoardMember:
    role: BoardRole  # type: ignore[valid-type]
    added_at: DateTime
    _user_id: Private[str]
    _user: Private[UserRec | None] = None

    @strawberry.field
    async def user(self, info: Info) -> User:
        u = self._user or await info.context.loaders.users.load(self._user_id)
        if u is None:
            raise not_found("User not found")
        return User.of(u)

    @classmethod
    def of(cls, m: MemberRec, user: UserRec | None = None) -> BoardMember:
        return cls(role=m.role, added_at=m.added_at, _user_id=m.user_id, _user=user)  # type: ignore[arg-type]


@strawberry.input
class TaskFilter:
    status: list[TaskStatus] | None = None  # type: ignore[valid-type]
    assignee_id: ID | None = None
    supervisor_id: ID | None = None
    due_before: Date | None = None
    due_after: Date | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Case-insensitive substring match on title and description.")
    label_ids: list[ID] | None = strawberry.field(default=None,
                                                  description="Tasks that carry every one of these labels.")

    def to_filter(self) -> task_ops.TaskFilterIn:
        return task_ops.TaskFilterIn(
            status=list(self.status) if self.status is not None else None,
            assignee_id=self.assignee_id, supervisor_id=self.supervisor_id,
            due_before=self.due_before, due_after=self.due_after, search=self.search,
            label_ids=[str(i) for i in self.label_ids] if self.label_ids is not None else None,
        )


@strawberry.input
class TaskOrder:
    field: TaskOrderField  # type: ignore[valid-type]
    direction: OrderDirection = OrderDirection.ASC


@strawberry.type
class TaskEdge:
    cursor: str
    node: Task


@strawberry.type
class TaskConnection:
    edges: list[TaskEdge]
    page_info: PageInfo
    _conds: Private[Any]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await task_ops.count(info.context, self._conds)

    @classmethod
    async def of(cls, ctx: Ctx, result: tuple[list[TaskRec], list[str], bool, Any]) -> TaskConnection:
        tasks, cursors, has_next, conds = result
        nodes = await tasks_of(ctx, tasks)
        edges = [TaskEdge(cursor=c, node=t) for t, c in zip(nodes, cursors, strict=True)]
        return cls(edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None),
                   _conds=conds)


async def _activity(ctx: Ctx, method: str, key: str, first: int | None, after: str | None) -> ActivityConnection:
    n = ctx.page_size(first)
    try:
        page = await getattr(ctx.services.activity, method)(key, n, after)
    except InvalidCursor:
        raise bad_input("Invalid cursor", "after") from None
    return ActivityConnection.of(page)


def _order(order_by: TaskOrder | None) -> tuple[task_ops.OrderField, bool]:
    if order_by is None:
        return task_ops.OrderField.CREATED_AT, False
    return task_ops.OrderField(order_by.field), order_by.direction == OrderDirection.DESC


@strawberry.type
class Board(Node):
    id: ID
    name: str
    created_at: DateTime
    viewer_role: BoardRole  # type: ignore[valid-type]

    last_seq: int = strawberry.field(description=(
        "The board's latest seq (0 before its first change): subscribe with afterSeq set to it."))

    @strawberry.field
    async def members(self, info: Info) -> list[BoardMember]:
        members = await info.context.loaders.members.load(str(self.id)) or []
        return [BoardMember.of(m) for m in members]

    @strawberry.field
    async def tasks(self, info: Info, filter: TaskFilter | None = None, order_by: TaskOrder | None = None,
                    first: int | None = 50, after: str | None = None) -> TaskConnection:
        field, desc = _order(order_by)
        return await TaskConnection.of(info.context, await task_ops.board_tasks(
            info.context, str(self.id), filter_=filter.to_filter() if filter else None, order=field,
            descending=desc, first=first, after=after))

    @strawberry.field
    async def activity(self, info: Info, first: int | None = 50, after: str | None = None) -> ActivityConnection:
        return await _activity(info.context, "board_activity", str(self.id), first, after)

    @strawberry.field
    async def labels(self, info: Info) -> list[Annotated[Label, strawberry.lazy("schema.labels")]]:
        from schema.labels import Label

        return [Label.of(lb) for lb in await info.context.loaders.board_labels.load(str(self.id)) or []]

    @strawberry.field(description="Open invitations; owners see them all, members see an empty list.")
    async def invitations(self, info: Info
                          ) -> list[Annotated[BoardInvitation, strawberry.lazy("schema.account_types")]]:
        from schema.account_types import BoardInvitation

        if self.viewer_role != tables.BoardRole.OWNER:
            return []
        return [BoardInvitation.of(i) for i in await invitation_ops.board_invitations(info.context, str(self.id))]

    @classmethod
    def of(cls, b: BoardRec) -> Board:
        return cls(id=ID(b.id), name=b.name, created_at=b.created_at, viewer_role=b.viewer_role,  # type: ignore[arg-type]
                   last_seq=b.event_seq)


@strawberry.type
class Task(Node):
    id: ID
    title: str
    description: str
    status: TaskStatus  # type: ignore[valid-type]
    deadline: Date | None
    version: int = strawberry.field(
        description="Starts at 1 and grows by one with every change; used for optimistic concurrency.")
    created_at: DateTime
    updated_at: DateTime
    # Plain fields, not resolvers: the people of a whole page are loaded in one query
    # before execution (`tasks_of`), so graphql-core completes them synchronously.
    supervisor: User = strawberry.field(description="Who created and assigned the task (Supervisor_email in the seed).")
    assignee: User | None = strawberry.field(
        description="Person in charge (PIC_email in the seed); null while unassigned.")
    rank: str = strawberry.field(
        description="Opaque key of the task's place in its status column; tasks sort by it (RANK order).")
    _board_id: Private[str]
    # The labels an event's snapshot carries (as they were after the change); None: load them.
    _labels: Private[list[Any] | None] = None

    @strawberry.field
    async def board(self, info: Info) -> Board:
        return Board.of(await visible_board(info.context, self._board_id))


    @strawberry.field(description="What the viewer may do to this task (an extension of the contract).")
    async def viewer_can(self, info: Info) -> TaskPermissions:
        return await task_permissions(info, self._board_id, str(self.supervisor.id),
                                      str(self.assignee.id) if self.assignee else None)

    @strawberry.field(description="This task's entries of the activity log, newest first.")
    async def activity(self, info: Info, first: int | None = 50, after: str | None = None) -> ActivityConnection:
        return await _activity(info.context, "task_activity", str(self.id), first, after)

    @strawberry.field(description="Oldest first.")
    async def comments(self, info: Info, first: int | None = 50, after: str | None = None
                       ) -> Annotated[CommentConnection, strawberry.lazy("schema.comments")]:
        from schema.comments import task_comments

        return await task_comments(info, str(self.id), first, after)

    @strawberry.field
    async def labels(self, info: Info) -> list[Annotated[Label, strawberry.lazy("schema.labels")]]:
        from schema.labels import Label

        recs = self._labels if self._labels is not None else await info.context.loaders.task_labels.load(str(self.id))
        return [Label.of(lb) for lb in recs or []]

    @strawberry.field
    async def comment_count(self, info: Info) -> int:
        return await comment_ops.comment_counts(info.context).load(str(self.id)) or 0

    @classmethod
    def of(cls, t: TaskRec, supervisor: User, assignee: User | None) -> Task:
        return cls(id=ID(t.id), title=t.title, description=t.description, status=t.status,
                   deadline=t.deadline, version=t.version, created_at=t.created_at,  # type: ignore[arg-type]
                   updated_at=t.updated_at, supervisor=supervisor, assignee=assignee,  # type: ignore[arg-type]
                   rank=t.rank, _board_id=t.board_id)


async def tasks_of(ctx: Ctx, recs: list[TaskRec]) -> list[Task]:
    """Tasks with their supervisors and assignees: the people read with the tasks,
    and the others in one query."""
    people: dict[str, User] = {}
    for r in recs:
        for person in (r.supervisor, r.assignee):
            if person is not None and person.id not in people:
                people[person.id] = User.of(person)
    ids = {r.supervisor_id for r in recs} | {r.assignee_id for r in recs if r.assignee_id}
    if not ids <= people.keys():
        found = await ctx.loaders.users.load_many(ids - people.keys())
        people.update((u.id, User.of(u)) for u in found if u is not None)
    out = []
    for r in recs:
        supervisor = people.get(r.supervisor_id)
        if supervisor is None:
            raise not_found("User not found")
        out.append(Task.of(r, supervisor, people.get(r.assignee_id) if r.assignee_id else None))
    return out


async def task_of(ctx: Ctx, rec: TaskRec) -> Task:
    return (await tasks_of(ctx, [rec]))[0]


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    expires_in: int = strawberry.field(description="Lifetime of the access token in seconds.")
    user: User


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
    comment: Annotated[Comment, strawberry.lazy("schema.comments")] | None = strawberry.field(
        default=None, description="Set for comment events; null for COMMENT_DELETED.")
    comment_id: ID | None = None
    label: Annotated[Label, strawberry.lazy("schema.labels")] | None = strawberry.field(
        default=None, description="Set for label events; null for LABEL_DELETED.")
    label_id: ID | None = None
    board_name: str | None = strawberry.field(default=None, description="The board's name after BOARD_RENAMED.")
