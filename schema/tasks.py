"""The tasks area: tasks, their pages, filters and inputs; reading, creating,
changing, moving and deleting tasks.  Comments on tasks are in schema.comments,
what the viewer may do to one in schema.client."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from graphql import FieldNode, SelectionSetNode
from strawberry import ID, UNSET, Private

from models import tables
from models.errors import not_found
from resolvers import comments as comment_ops
from resolvers import tasks as task_ops
from resolvers.boards import visible_board
from resolvers.context import Ctx
from resolvers.moves import move_task
from resolvers.records import TaskRec
from schema.accounts import User
from schema.client import TaskPermissions, task_permissions
from schema.common import ActivityConnection, Node, PageInfo, activity
from schema.context import Info
from schema.internals import field_nodes
from schema.scalars import Date, DateTime

if TYPE_CHECKING:
    from schema.boards import Board
    from schema.comments import CommentConnection
    from schema.labels import Label

TaskStatus = strawberry.enum(tables.TaskStatus, name="TaskStatus")
TaskOrderField = strawberry.enum(task_ops.OrderField, name="TaskOrderField")


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


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
    async def of(cls, info: Info, result: tuple[list[TaskRec], Sequence[str], bool, Any]) -> TaskConnection:
        """The page as the field returns it; its edges' cursors made only when the
        selection may read them (`selects_edge_cursor`)."""
        tasks, cursors, has_next, conds = result
        nodes = await tasks_of(info.context, tasks)
        if selects_edge_cursor(info):
            edges = [TaskEdge(cursor=c, node=t) for t, c in zip(nodes, cursors, strict=True)]
        else:
            edges = [TaskEdge(cursor="", node=t) for t in nodes]  # never read: no edge cursor is selected
        return cls(edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=cursors[-1] if cursors else None),
                   _conds=conds)


def selects_edge_cursor(info: Info) -> bool:
    """Whether the field's selection may read `edges { cursor }`: yes when it names it,
    and when a fragment stands where it could (fragments are not followed)."""
    return any(edges is None or _named(edges.selection_set, "cursor")
               for node in field_nodes(info) for edges in _named(node.selection_set, "edges"))


def _named(selection_set: SelectionSetNode | None, name: str) -> list[FieldNode | None]:
    """The fields called `name` in a selection, and None for each fragment in it."""
    found: list[FieldNode | None] = []
    for selection in selection_set.selections if selection_set is not None else ():
        if not isinstance(selection, FieldNode):
            found.append(None)
        elif selection.name.value == name:
            found.append(selection)
    return found


def page_args(filter: TaskFilter | None, order_by: TaskOrder | None, first: int | None, after: str | None
              ) -> dict[str, Any]:
    """The arguments of a page of tasks (resolvers.tasks) from those of the field."""
    field, desc = task_ops.OrderField.CREATED_AT, False
    if order_by is not None:
        field, desc = task_ops.OrderField(order_by.field), order_by.direction == OrderDirection.DESC
    return {"filter_": filter.to_filter() if filter else None, "order": field, "descending": desc,
            "first": first, "after": after}


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
    async def board(self, info: Info) -> Annotated[Board, strawberry.lazy("schema.boards")]:
        from schema.boards import Board

        return Board.of(await visible_board(info.context, self._board_id))

    @strawberry.field(description="What the viewer may do to this task (an extension of the contract).")
    async def viewer_can(self, info: Info) -> TaskPermissions:
        return await task_permissions(info, self._board_id, str(self.supervisor.id),
                                      str(self.assignee.id) if self.assignee else None)

    @strawberry.field(description="This task's entries of the activity log, newest first.")
    async def activity(self, info: Info, first: int | None = 50, after: str | None = None) -> ActivityConnection:
        return await activity(info.context, "task_activity", str(self.id), first, after)

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


@strawberry.input
class CreateTaskInput:
    board_id: ID
    title: str
    description: str = ""
    status: TaskStatus = TaskStatus.TODO  # type: ignore[valid-type]
    deadline: Date | None = None
    assignee_id: ID | None = None
    label_ids: list[ID] | None = None


@strawberry.input(description="Absent fields stay as they are; an explicit null clears deadline or assignee.")
class UpdateTaskInput:
    title: str | None = UNSET
    description: str | None = UNSET
    status: TaskStatus | None = UNSET  # type: ignore[valid-type]
    deadline: Date | None = UNSET
    assignee_id: ID | None = UNSET
    label_ids: list[ID] | None = strawberry.field(
        default=UNSET, description="Replaces the task's labels (labels of the same board only).")
    expected_version: int | None = strawberry.field(
        default=UNSET, description="When given, the update fails with CONFLICT unless the task is at this version.")

    def changes(self) -> dict[str, Any]:
        given = {
            "title": self.title, "description": self.description, "status": self.status,
            "deadline": self.deadline, "assignee_id": self.assignee_id, "label_ids": self.label_ids,
        }
        return {k: v for k, v in given.items() if v is not UNSET}


@strawberry.input(description="Where a moved task lands: its new status column and, optionally, its neighbours "
                              "there.\nWith neither neighbour it goes to the end of the column.")
class MoveTaskInput:
    status: TaskStatus  # type: ignore[valid-type]
    after_task_id: ID | None = strawberry.field(default=None,
                                                description="Place it right after this task of the target column.")
    before_task_id: ID | None = strawberry.field(default=None,
                                                 description="Place it right before this task of the target column.")
    expected_version: int | None = None


@strawberry.type
class TaskQuery:
    @strawberry.field
    async def task(self, info: Info, id: ID) -> Task | None:
        return await task_of(info.context, await task_ops.get_task(info.context, str(id)))


@strawberry.type
class MyTasksQuery:
    @strawberry.field(description="Tasks assigned to the viewer across all their boards.")
    async def my_tasks(self, info: Info, filter: TaskFilter | None = None, order_by: TaskOrder | None = None,
                       first: int | None = 50, after: str | None = None) -> TaskConnection:
        return await TaskConnection.of(info, await task_ops.my_tasks(
            info.context, **page_args(filter, order_by, first, after)))


@strawberry.type
class TaskMutation:
    @strawberry.mutation
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        return await task_of(info.context, await task_ops.create_task(
            info.context, board_id=str(input.board_id), title=input.title, description=input.description,
            status=input.status, deadline=input.deadline,
            assignee_id=str(input.assignee_id) if input.assignee_id else None,
            label_ids=[str(i) for i in input.label_ids] if input.label_ids else None))

    @strawberry.mutation
    async def update_task(self, info: Info, id: ID, input: UpdateTaskInput) -> Task:
        expected = None if input.expected_version is UNSET else input.expected_version
        task = await task_ops.update_task(info.context, str(id), expected_version=expected, **input.changes())
        return await task_of(info.context, task)

    @strawberry.mutation
    async def delete_task(self, info: Info, id: ID, expected_version: int | None = None) -> ID:
        return ID(await task_ops.delete_task(info.context, str(id), expected_version=expected_version))


@strawberry.type
class MoveMutation:
    @strawberry.mutation(description="Moves a task to a column and a place in it (drag and drop).")
    async def move_task(self, info: Info, id: ID, input: MoveTaskInput) -> Task:
        task = await move_task(info.context, str(id), status=input.status,
                               after_id=str(input.after_task_id) if input.after_task_id else None,
                               before_id=str(input.before_task_id) if input.before_task_id else None,
                               expected_version=input.expected_version)
        return await task_of(info.context, task)
