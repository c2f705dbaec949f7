"""Tasks: reading them, and the three changes (create, update, delete)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.sql import ColumnElement

from models.errors import ApiError, ErrorCode, bad_input, not_found
from models.ids import kind_of, new_id
from models.tables import ActivityKind, BoardEventKind, BoardRole, TaskStatus, utcnow
from models.uow import UnitOfWork
from resolvers import events, label_store, permissions, rank_store, task_diff, task_pages, validation
from resolvers.boards import locked_board_for, role_in, user_by, users_by_id, visible_board
from resolvers.context import Ctx
from resolvers.lookup import one_row, require_kind
from resolvers.records import TASK_COLUMNS, TaskRec, UserRec, members_t, tasks_t
from resolvers.task_pages import OrderField, Page, TaskFilterIn

TASK_NOT_FOUND = "Task not found"
_TASK = select(*TASK_COLUMNS).where(tasks_t.c.id == bindparam("task_id"))


async def count(ctx: Ctx, conds: list[ColumnElement[bool]]) -> int:
    async with ctx.read() as s:
        return int((await s.execute(select(func.count()).select_from(tasks_t).where(*conds))).scalar_one())


async def board_tasks(ctx: Ctx, board_id: str, *, filter_: TaskFilterIn | None, order: OrderField,
                      descending: bool, first: int | None, after: str | None) -> Page:
    return await task_pages.page(ctx, [tasks_t.c.board_id == board_id], filter_, order, descending, first, after,
                                 board_id=board_id)


async def my_tasks(ctx: Ctx, *, filter_: TaskFilterIn | None, order: OrderField, descending: bool,
                   first: int | None, after: str | None) -> Page:
    viewer_id = ctx.require_viewer()
    member_of = select(members_t.c.board_id).where(members_t.c.user_id == viewer_id)
    scope = [tasks_t.c.assignee_id == viewer_id, tasks_t.c.board_id.in_(member_of)]
    return await task_pages.page(ctx, scope, filter_, order, descending, first, after)


async def get_task(ctx: Ctx, task_id: str) -> TaskRec:
    ctx.require_viewer()
    require_kind(task_id, "Task", TASK_NOT_FOUND)
    async with ctx.read() as s:
        task = TaskRec.from_row(await one_row(s, TASK_NOT_FOUND, _TASK, {"task_id": task_id}))
    await visible_board(ctx, task.board_id, TASK_NOT_FOUND)
    return task


def _check_version(task: TaskRec, expected: int | None) -> None:
    if expected is not None and expected != task.version:
        raise ApiError(
            ErrorCode.CONFLICT,
            "Someone changed this task meanwhile. Reload to see their change.",
            currentVersion=task.version,
        )


async def _assignee(uow: Any, board_id: str, assignee_id: str | None) -> Any:
    if assignee_id is None:
        return None
    if kind_of(assignee_id) != "User" or await role_in(uow, board_id, assignee_id) is None:
        raise bad_input("The assignee must be a member of the board", "assigneeId")
    return await user_by(uow, id=assignee_id)


async def create_task(ctx: Ctx, *, board_id: str, title: str, description: str, status: TaskStatus,
                      deadline: date | None, assignee_id: str | None, label_ids: list[str] | None = None) -> TaskRec:
    viewer_id = ctx.require_viewer()
    title = validation.text(title, validation.TASK_TITLE)
    description = validation.text(description, validation.TASK_DESCRIPTION)
    async with ctx.uow() as uow:
        board, role = await locked_board_for(uow, board_id, viewer_id)
        assignee = await _assignee(uow, board_id, assignee_id)
        labels = await label_store.board_labels_named(uow.conn, board_id, label_store.label_ids(label_ids or []))
        actor = await user_by(uow, id=viewer_id)
        assert actor is not None
        now = utcnow()
        task = TaskRec(new_id("tsk"), board_id, title, description, status, deadline, viewer_id,
                       assignee.id if assignee else None, 1, now, now,
                       rank=await rank_store.end_of_column(uow.conn, board_id, status))
        await uow.conn.execute(insert(tasks_t).values(
            id=task.id, board_id=board_id, title=title, description=description, status=status.value,
            deadline=deadline, supervisor_id=viewer_id, assignee_id=task.assignee_id, version=1,
            created_at=now, updated_at=now, rank=task.rank,
        ))
        await label_store.set_task_labels(uow.conn, task.id, labels, replace=False)
        who = events.actor_title(viewer_id, task, role)
        await uow.record(
            board, kind=BoardEventKind.TASK_CREATED, activity_kind=ActivityKind.TASK_CREATED,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=task.id,
            payload=events.base_payload(
                ActivityKind.TASK_CREATED, events.task_message(ActivityKind.TASK_CREATED, who, actor.email, task, now),
                now, task=task_diff.with_labels(events.task_json(task, actor, assignee), labels),
                changes={"created": True},
                recipients=events.recipients(viewer_id, [("assignee", assignee)]),
            ),
        )
        await uow.commit()
    _known_people(ctx, actor, assignee)
    return task



_TASK_FOR_UPDATE = _TASK.with_for_update()
# The task and the viewer's role on its board (None: not a member), unlocked.
_TASK_AND_ROLE = (
    select(*TASK_COLUMNS, members_t.c.role)
    .select_from(tasks_t.outerjoin(members_t, and_(members_t.c.board_id == tasks_t.c.board_id,
                                                   members_t.c.user_id == bindparam("viewer_id"))))
    .where(tasks_t.c.id == bindparam("task_id"))
)


@dataclass(slots=True)
class _Change:
    """What a change of one task works on: the task as last read, the viewer's
    role on its board, and, once `lock`ed, the board and the people the change
    names (viewer, supervisor, assignee)."""

    task: TaskRec
    role: BoardRole
    board: Any = None
    people: dict[str, Any] = field(default_factory=dict)

    async def lock(self, uow: Any, viewer_id: str) -> None:
        """Read the people, then lock the board (and read the viewer's role again
        under the lock).  Every writer of a board queues on the board's row lock,
        so it is held for the writes alone: the reads come before it.  The write
        then names the task version it was planned on (`WHERE version = ...`);
        when it finds none, another change came in between, and `reread` gets
        the current task to plan it again."""
        self.people = await users_by_id(uow, viewer_id, self.task.supervisor_id, self.task.assignee_id)
        try:
            self.board, self.role = await locked_board_for(uow, self.task.board_id, viewer_id)
        except ApiError:
            raise not_found(TASK_NOT_FOUND) from None

    async def reread(self, uow: Any, viewer_id: str) -> None:
        """The task changed since it was read: read it again, under the board's
        lock now, so nothing can change it before this transaction ends."""
        row = await one_row(uow.conn, TASK_NOT_FOUND, _TASK_FOR_UPDATE, {"task_id": self.task.id})
        self.task = TaskRec.from_row(row)
        self.people = await users_by_id(uow, viewer_id, self.task.supervisor_id, self.task.assignee_id)


async def _read_change(uow: Any, task_id: str, viewer_id: str) -> _Change:
    """The task and the viewer's role, read in one statement without a lock (on
    MySQL each statement reads the latest commit: READ COMMITTED).  A change
    refused on them, or one that changes nothing, is answered as of this read
    and never takes the board's lock."""
    require_kind(task_id, "Task", TASK_NOT_FOUND)
    row = (await uow.conn.execute(_TASK_AND_ROLE, {"task_id": task_id, "viewer_id": viewer_id})).first()
    if row is None or row[-1] is None:
        raise not_found(TASK_NOT_FOUND)
    return _Change(TaskRec.from_row(row), BoardRole(row[-1]))


def _is_current(result: Any) -> bool:
    """Whether a version-guarded write found its row (else the task changed)."""
    return bool(result.rowcount == 1)


@dataclass(slots=True)
class _Asked:
    """What an update asks for: `fields` (title, description, status, deadline,
    assignee_id) left out are `UNSET`; `labels` None: the labels stay (an
    explicit null clears them)."""

    viewer_id: str
    fields: dict[str, Any]
    labels: list[str] | None
    expected_version: int | None

    async def plan(self, uow: UnitOfWork, target: _Change) -> tuple[dict[str, Any], dict[str, Any]]:
        """The columns to write and the changes to show, on the task as `target` has it now."""
        task = target.task
        permissions.require(permissions.update_refused(self.viewer_id, task, target.role))
        _check_version(task, self.expected_version)
        values, changes = task_diff.task_changes(task, **self.fields)
        if self.labels is not None:
            labels_now = await label_store.label_ids_of(uow.conn, task.id)
            if set(self.labels) != labels_now:
                changes["labels"] = {"from": sorted(labels_now), "to": sorted(self.labels)}
        return values, changes


@dataclass(slots=True)
class _Written:
    """An update as written: the task before and after it, and what it read for its event."""

    before: TaskRec
    after: TaskRec
    changes: dict[str, Any]
    assignee: UserRec | None  # the new assignee, when it changed
    labels: list[label_store.LabelRec] | None  # the new labels, when they changed


async def update_task(ctx: Ctx, task_id: str, *, title: Any = task_diff.UNSET, description: Any = task_diff.UNSET,
                      status: Any = task_diff.UNSET, deadline: Any = task_diff.UNSET,
                      assignee_id: Any = task_diff.UNSET, label_ids: Any = task_diff.UNSET,
                      expected_version: int | None = None) -> TaskRec:
    viewer_id = ctx.require_viewer()
    asked = _Asked(viewer_id, dict(title=title, description=description, status=status, deadline=deadline,
                                   assignee_id=assignee_id),
                   None if label_ids is task_diff.UNSET else label_store.label_ids(label_ids or []), expected_version)
    async with ctx.uow() as uow:
        target = await _read_change(uow, task_id, viewer_id)
        if not (await asked.plan(uow, target))[1]:
            return target.task  # nothing changed: no lock, no new version, no event
        await target.lock(uow, viewer_id)
        written = await _write_update(uow, target, asked)
        if written is None:
            return target.task
        if written.labels is not None:
            await label_store.set_task_labels(uow.conn, task_id, written.labels)
        supervisor, assignee = await _record_update(uow, target, viewer_id, written)
        await uow.commit()
    _known_people(ctx, supervisor, assignee)
    return written.after


async def _write_update(uow: UnitOfWork, target: _Change, asked: _Asked) -> _Written | None:
    """Plan the update on the task as read and write it where the task is still at
    the version planned on; else read it again and plan again.  None: nothing to change."""
    while True:
        before = target.task
        values, changes = await asked.plan(uow, target)
        assignee = None
        if "assignee" in changes:
            assignee = await _assignee(uow, before.board_id, asked.fields["assignee_id"])
        labels = None
        if "labels" in changes:
            labels = await label_store.board_labels_named(uow.conn, before.board_id, asked.labels or [])
        if not changes:
            return None
        values.update(version=before.version + 1, updated_at=utcnow())
        if "status" in values:  # to the end of its new column
            values["rank"] = await rank_store.end_of_column(uow.conn, before.board_id, TaskStatus(values["status"]))
        result = await uow.conn.execute(
            update(tasks_t).where(tasks_t.c.id == before.id, tasks_t.c.version == before.version).values(**values))
        if _is_current(result):
            return _Written(before, task_diff.applied(before, values), changes, assignee, labels)
        await target.reread(uow, asked.viewer_id)


async def _record_update(uow: UnitOfWork, target: _Change, viewer_id: str, written: _Written) -> tuple[Any, Any]:
    """The update's event; returns the supervisor and assignee it names."""
    before, after, changes = written.before, written.after, written.changes
    kind = task_diff.update_kind(changes)
    people = target.people
    actor, supervisor = people[viewer_id], people[after.supervisor_id]
    assignee = written.assignee if "assignee" in changes else people.get(after.assignee_id or "")
    previous = people.get(before.assignee_id or "") if "assignee" in changes else None
    who = events.actor_title(viewer_id, before, target.role)
    now = after.updated_at
    await uow.record(
        target.board, kind=BoardEventKind.TASK_UPDATED, activity_kind=kind,
        actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=after.id,
        payload=events.base_payload(
            kind, events.task_message(kind, who, actor.email, after, now, assignee), now,
            task=task_diff.with_labels(events.task_json(after, supervisor, assignee), written.labels),
            changes=changes,
            recipients=events.recipients(viewer_id, [("supervisor", supervisor), ("assignee", assignee),
                                                     ("previousAssignee", previous)]),
        ),
    )
    return supervisor, assignee


def _known_people(ctx: Ctx, *users: Any) -> None:
    """The people this mutation read, for the task it returns: no second query."""
    for user in users:
        if user is not None:
            ctx.loaders.users.prime(user.id, user)


async def delete_task(ctx: Ctx, task_id: str, *, expected_version: int | None) -> str:
    viewer_id = ctx.require_viewer()

    def check(target: _Change) -> TaskRec:
        task = target.task
        permissions.require(permissions.delete_refused(viewer_id, task, target.role))
        _check_version(task, expected_version)
        return task

    async with ctx.uow() as uow:
        target = await _read_change(uow, task_id, viewer_id)
        check(target)  # a refusal needs no lock
        await target.lock(uow, viewer_id)
        while True:
            task = check(target)
            result = await uow.conn.execute(
                delete(tasks_t).where(tasks_t.c.id == task_id, tasks_t.c.version == task.version))
            if _is_current(result):
                break
            await target.reread(uow, viewer_id)
        people = target.people
        actor, supervisor = people[viewer_id], people[task.supervisor_id]
        assignee = people.get(task.assignee_id or "")
        now = utcnow()
        who = events.actor_title(viewer_id, task, target.role)
        await uow.record(
            target.board, kind=BoardEventKind.TASK_DELETED, activity_kind=ActivityKind.TASK_DELETED,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=task_id,
            payload=events.base_payload(
                ActivityKind.TASK_DELETED, events.task_message(ActivityKind.TASK_DELETED, who, actor.email, task, now),
                now, task=events.task_json(task, supervisor, assignee), changes={"deleted": True},
                recipients=events.recipients(viewer_id, [("supervisor", supervisor), ("assignee", assignee)]),
            ),
        )
        await uow.commit()
    return task_id
