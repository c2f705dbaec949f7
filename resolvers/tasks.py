"""Tasks: reading pages of them, and the three changes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, String, and_, bindparam, delete, func, insert, literal, or_, select, update
from sqlalchemy.sql import ColumnElement

from models.errors import ApiError, ErrorCode, bad_input, not_found
from models.ids import kind_of, new_id
from models.tables import ActivityKind, BoardEventKind, BoardRole, TaskStatus, utcnow
from resolvers import events, label_store, permissions, rank_store, validation
from resolvers.boards import locked_board_for, role_in, user_by, users_by_id, visible_board
from resolvers.context import Ctx
from resolvers.pagination import decode_cursor, encode_cursor
from resolvers.records import TASK_COLUMNS, TASK_PAGE_COLUMNS, TASKS_WITH_PEOPLE, TaskRec, members_t, tasks_t

TASK_NOT_FOUND = "Task not found"
FAR_FUTURE = date(9999, 12, 31)  # deadline-less tasks sort after every dated one


class OrderField(StrEnum):
    DEADLINE = "DEADLINE"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"
    TITLE = "TITLE"
    RANK = "RANK"


@dataclass(slots=True)
class TaskFilterIn:
    status: list[TaskStatus] | None = None
    assignee_id: str | None = None
    supervisor_id: str | None = None
    due_before: date | None = None
    due_after: date | None = None
    search: str | None = None
    label_ids: list[str] | None = None


@dataclass(slots=True)
class TaskPage:
    tasks: list[TaskRec]
    cursors: list[str]
    has_next: bool
    total_count_query: Any = field(repr=False, default=None)


def _order_column(order: OrderField) -> ColumnElement[Any]:
    if order == OrderField.DEADLINE:
        return func.coalesce(tasks_t.c.deadline, literal(FAR_FUTURE))
    return {
        OrderField.CREATED_AT: tasks_t.c.created_at,
        OrderField.UPDATED_AT: tasks_t.c.updated_at,
        OrderField.TITLE: tasks_t.c.title,
        OrderField.RANK: tasks_t.c.rank,
    }[order]


def _cursor_value(task: TaskRec, order: OrderField) -> Any:
    if order == OrderField.DEADLINE:
        return (task.deadline or FAR_FUTURE).isoformat()
    if order == OrderField.TITLE:
        return task.title
    if order == OrderField.RANK:
        return task.rank
    value = task.created_at if order == OrderField.CREATED_AT else task.updated_at
    return value.isoformat()


def _parse_cursor_value(raw: Any, order: OrderField) -> Any:
    from datetime import datetime

    try:
        if order == OrderField.DEADLINE:
            return date.fromisoformat(raw)
        if order in (OrderField.TITLE, OrderField.RANK):
            if not isinstance(raw, str):
                raise TypeError
            return raw
        parsed = datetime.fromisoformat(raw)
        if parsed.tzinfo is None:  # ours are always UTC-aware; a naive one would fail in the UTC column
            raise ValueError
        return parsed
    except (TypeError, ValueError):
        raise bad_input("Invalid cursor", "after") from None


def _filters(f: TaskFilterIn | None) -> list[ColumnElement[bool]]:
    if f is None:
        return []
    conds: list[ColumnElement[bool]] = []
    if f.status is not None:
        conds.append(tasks_t.c.status.in_([s.value for s in f.status]))
    if f.assignee_id is not None:
        conds.append(tasks_t.c.assignee_id == f.assignee_id)
    if f.supervisor_id is not None:
        conds.append(tasks_t.c.supervisor_id == f.supervisor_id)
    if f.due_before is not None:
        conds.append(tasks_t.c.deadline < f.due_before)
    if f.due_after is not None:
        conds.append(tasks_t.c.deadline > f.due_after)
    if f.search:
        term = f.search.strip().lower()
        if len(term) > validation.MAX_SEARCH:
            raise bad_input(f"Search for at most {validation.MAX_SEARCH} characters.", "search")
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(
            or_(
                func.lower(tasks_t.c.title).like(pattern, escape="\\"),
                func.lower(tasks_t.c.description).like(pattern, escape="\\"),
            )
        )
    if f.label_ids:
        conds.extend(label_store.carrying_all(f.label_ids))
    return conds


def _page_statement(where: list[ColumnElement[bool]], order: OrderField, descending: bool) -> Select[Any]:
    col = _order_column(order)
    ordering = [col.desc(), tasks_t.c.id.desc()] if descending else [col.asc(), tasks_t.c.id.asc()]
    return select(*TASK_PAGE_COLUMNS).select_from(TASKS_WITH_PEOPLE).where(*where).order_by(*ordering)


@lru_cache(maxsize=len(OrderField) * 2)
def _first_board_page(order: OrderField, descending: bool) -> Select[Any]:
    """The most read page, a board's first without filters, built once per order:
    building the statement cost more CPU than running it."""
    where = [tasks_t.c.board_id == bindparam("board_id", type_=String)]
    return _page_statement(where, order, descending).limit(bindparam("limit", type_=Integer))


async def _page(
    ctx: Ctx,
    scope: list[ColumnElement[bool]],
    filter_: TaskFilterIn | None,
    order: OrderField,
    descending: bool,
    first: int | None,
    after: str | None,
    board_id: str | None = None,
) -> tuple[list[TaskRec], list[str], bool, list[ColumnElement[bool]]]:
    """A page of the tasks in `scope` (`board_id`: the scope is that board's)."""
    n = ctx.page_size(first)
    conds = scope + _filters(filter_)
    tag = f"t:{order.value}:{'D' if descending else 'A'}"
    where = list(conds)
    if after:
        col = _order_column(order)
        _, raw_value, last_id = decode_cursor(after, 3, tag)
        value = _parse_cursor_value(raw_value, order)
        if not isinstance(last_id, str):
            raise bad_input("Invalid cursor", "after")
        if descending:
            where.append(or_(col < value, and_(col == value, tasks_t.c.id < last_id)))
        else:
            where.append(or_(col > value, and_(col == value, tasks_t.c.id > last_id)))
    if board_id is not None and filter_ is None and after is None:
        q, params = _first_board_page(order, descending), {"board_id": board_id, "limit": n + 1}
    else:
        q, params = _page_statement(where, order, descending).limit(n + 1), {}
    async with ctx.read() as s:
        rows = (await s.execute(q, params)).all()
    tasks = [TaskRec.with_people(r) for r in rows[:n]]
    cursors = [encode_cursor(tag, _cursor_value(t, order), t.id) for t in tasks]
    return tasks, cursors, len(rows) > n, conds


async def count(ctx: Ctx, conds: list[ColumnElement[bool]]) -> int:
    async with ctx.read() as s:
        return int((await s.execute(select(func.count()).select_from(tasks_t).where(*conds))).scalar_one())


async def board_tasks(ctx: Ctx, board_id: str, *, filter_: TaskFilterIn | None, order: OrderField,
                      descending: bool, first: int | None, after: str | None
                      ) -> tuple[list[TaskRec], list[str], bool, list[ColumnElement[bool]]]:
    return await _page(ctx, [tasks_t.c.board_id == board_id], filter_, order, descending, first, after,
                       board_id=board_id)


async def my_tasks(ctx: Ctx, *, filter_: TaskFilterIn | None, order: OrderField, descending: bool,
                   first: int | None, after: str | None
                   ) -> tuple[list[TaskRec], list[str], bool, list[ColumnElement[bool]]]:
    viewer_id = ctx.require_viewer()
    member_of = select(members_t.c.board_id).where(members_t.c.user_id == viewer_id)
    scope = [tasks_t.c.assignee_id == viewer_id, tasks_t.c.board_id.in_(member_of)]
    return await _page(ctx, scope, filter_, order, descending, first, after)


async def get_task(ctx: Ctx, task_id: str) -> TaskRec:
    ctx.require_viewer()
    if kind_of(task_id) != "Task":
        raise not_found(TASK_NOT_FOUND)
    async with ctx.read() as s:
        row = (await s.execute(select(*TASK_COLUMNS).where(tasks_t.c.id == task_id))).first()
    if row is None:
        raise not_found(TASK_NOT_FOUND)
    task = TaskRec.from_row(row)
    try:
        await visible_board(ctx, task.board_id)
    except ApiError:
        raise not_found(TASK_NOT_FOUND) from None
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
                now, task=_with_labels(events.task_json(task, actor, assignee), labels),
                changes={"created": True},
                recipients=events.recipients(viewer_id, [("assignee", assignee)]),
            ),
        )
        await uow.commit()
    _known_people(ctx, actor, assignee)
    return task


_UNSET: Any = object()


_TASK = select(*TASK_COLUMNS).where(tasks_t.c.id == bindparam("task_id"))
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
        row = (await uow.conn.execute(_TASK_FOR_UPDATE, {"task_id": self.task.id})).first()
        if row is None:
            raise not_found(TASK_NOT_FOUND)
        self.task = TaskRec.from_row(row)
        self.people = await users_by_id(uow, viewer_id, self.task.supervisor_id, self.task.assignee_id)


async def _read_change(uow: Any, task_id: str, viewer_id: str) -> _Change:
    """The task and the viewer's role, read in one statement without a lock (on
    MySQL each statement reads the latest commit: READ COMMITTED).  A change
    refused on them, or one that changes nothing, is answered as of this read
    and never takes the board's lock."""
    if kind_of(task_id) != "Task":
        raise not_found(TASK_NOT_FOUND)
    row = (await uow.conn.execute(_TASK_AND_ROLE, {"task_id": task_id, "viewer_id": viewer_id})).first()
    if row is None or row[-1] is None:
        raise not_found(TASK_NOT_FOUND)
    return _Change(TaskRec.from_row(row), BoardRole(row[-1]))


def _is_current(result: Any) -> bool:
    """Whether a version-guarded write found its row (else the task changed)."""
    return bool(result.rowcount == 1)


async def update_task(ctx: Ctx, task_id: str, *, title: Any = _UNSET, description: Any = _UNSET,
                      status: Any = _UNSET, deadline: Any = _UNSET, assignee_id: Any = _UNSET,
                      label_ids: Any = _UNSET, expected_version: int | None = None) -> TaskRec:
    viewer_id = ctx.require_viewer()
    # The labels asked for (an explicit null clears them); None: labels stay.
    wanted = None if label_ids is _UNSET else label_store.label_ids(label_ids or [])

    def plan(target: _Change, labels_now: set[str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
        task = target.task
        permissions.require(permissions.update_refused(viewer_id, task, target.role))
        _check_version(task, expected_version)
        values, changes = _task_changes(task, title=title, description=description, status=status,
                                        deadline=deadline, assignee_id=assignee_id)
        if wanted is not None and labels_now is not None and set(wanted) != labels_now:
            changes["labels"] = {"from": sorted(labels_now), "to": sorted(wanted)}
        return values, changes

    async def labels_of(target: _Change) -> set[str] | None:
        return None if wanted is None else await label_store.label_ids_of(uow.conn, target.task.id)

    async with ctx.uow() as uow:
        target = await _read_change(uow, task_id, viewer_id)
        if not plan(target, await labels_of(target))[1]:
            return target.task  # nothing changed: no lock, no new version, no event
        await target.lock(uow, viewer_id)
        while True:
            before = target.task
            values, changes = plan(target, await labels_of(target))
            new_assignee = None
            if "assignee" in changes:
                new_assignee = await _assignee(uow, before.board_id, assignee_id)
            new_labels = None
            if "labels" in changes:
                new_labels = await label_store.board_labels_named(uow.conn, before.board_id, wanted or [])
            if not changes:
                return before
            now = utcnow()
            values.update(version=before.version + 1, updated_at=now)
            if "status" in values:  # to the end of its new column
                values["rank"] = await rank_store.end_of_column(uow.conn, before.board_id, TaskStatus(values["status"]))
            result = await uow.conn.execute(
                update(tasks_t).where(tasks_t.c.id == task_id, tasks_t.c.version == before.version).values(**values))
            if _is_current(result):
                break
            await target.reread(uow, viewer_id)
        if new_labels is not None:
            await label_store.set_task_labels(uow.conn, task_id, new_labels)
        after = replace(
            before,
            title=values.get("title", before.title),
            description=values.get("description", before.description),
            status=TaskStatus(values.get("status", before.status)),
            deadline=values.get("deadline", before.deadline),
            assignee_id=values.get("assignee_id", before.assignee_id),
            version=values["version"],
            updated_at=now,
            rank=values.get("rank", before.rank),
        )
        if "status" in changes:
            kind = ActivityKind.TASK_STATUS_CHANGED
        elif "assignee" in changes:
            kind = ActivityKind.TASK_ASSIGNED
        else:
            kind = ActivityKind.TASK_UPDATED
        people = target.people
        actor, supervisor = people[viewer_id], people[after.supervisor_id]
        assignee = new_assignee if "assignee" in changes else people.get(after.assignee_id or "")
        previous = people.get(before.assignee_id or "") if "assignee" in changes else None
        who = events.actor_title(viewer_id, before, target.role)
        await uow.record(
            target.board, kind=BoardEventKind.TASK_UPDATED, activity_kind=kind,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=task_id,
            payload=events.base_payload(
                kind, events.task_message(kind, who, actor.email, after, now, assignee), now,
                task=_with_labels(events.task_json(after, supervisor, assignee), new_labels), changes=changes,
                recipients=events.recipients(viewer_id, [("supervisor", supervisor), ("assignee", assignee),
                                                         ("previousAssignee", previous)]),
            ),
        )
        await uow.commit()
    _known_people(ctx, supervisor, assignee)
    return after


def _with_labels(snapshot: dict[str, Any], labels: list[label_store.LabelRec] | None) -> dict[str, Any]:
    """The task snapshot with its labels when the change knows them (else readers load them)."""
    if labels is not None:
        snapshot["labels"] = [lb.json() for lb in labels]
    return snapshot


def _task_changes(before: TaskRec, *, title: Any, description: Any, status: Any, deadline: Any,
                  assignee_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns an update writes and the `changes` its event shows; fields
    left out (`_UNSET`) or equal to the task's are not changes."""
    changes: dict[str, Any] = {}
    values: dict[str, Any] = {}
    texts = (("title", title, before.title, validation.TASK_TITLE),
             ("description", description, before.description, validation.TASK_DESCRIPTION))
    for name, given, old, rule in texts:
        if given is _UNSET:
            continue
        validation.not_null(given, name, rule.thing)
        text = validation.text(given, rule)
        if text != old:
            values[name] = text
            changes[name] = {"from": old, "to": text}
    if status is not _UNSET:
        validation.not_null(status, "status", "A task's status")
        if status != before.status:
            values["status"] = status.value
            changes["status"] = {"from": before.status.value, "to": status.value}
    if deadline is not _UNSET and deadline != before.deadline:
        values["deadline"] = deadline
        changes["deadline"] = {"from": before.deadline.isoformat() if before.deadline else None,
                               "to": deadline.isoformat() if deadline else None}
    if assignee_id is not _UNSET and assignee_id != before.assignee_id:
        values["assignee_id"] = assignee_id
        changes["assignee"] = {"from": before.assignee_id, "to": assignee_id}
    return values, changes


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
