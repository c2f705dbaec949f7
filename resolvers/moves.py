"""`moveTask`: a task to a status column and a place in it (drag and drop).

A move writes one row: the key between its new neighbours (models.ranks).  Two
moves into the same gap get the same key and both succeed; equal keys sort by id,
so the order is the same whichever committed first.  When no key fits (equal
neighbours) or keys grew long, the column is given fresh keys: one change, one
event, per task whose key changed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import bindparam, select, update

from models import ranks
from models.errors import bad_input
from models.ids import kind_of
from models.tables import ActivityKind, BoardEventKind, TaskStatus, utcnow
from models.uow import UnitOfWork
from resolvers import events, permissions
from resolvers.boards import users_by_id
from resolvers.context import Ctx
from resolvers.records import TASK_COLUMNS, TaskRec, UserRec, tasks_t
from resolvers.tasks import _Change, _check_version, _known_people, _read_change

# A column in its order: (rank, id) is the order every reader sorts by.
_COLUMN = (select(*TASK_COLUMNS)
           .where(tasks_t.c.board_id == bindparam("board_id"), tasks_t.c.status == bindparam("status"))
           .order_by(tasks_t.c.rank, tasks_t.c.id))


def _neighbour(column: list[TaskRec], task_id: str | None, field: str) -> TaskRec | None:
    if task_id is None:
        return None
    for t in column:
        if t.id == task_id:
            return t
    raise bad_input("A neighbour must be a task of the target column", field)


def _place(column: list[TaskRec], after: TaskRec | None, before: TaskRec | None) -> tuple[int, str | None, str | None]:
    """Where the task goes in `column` (the target column without it): an index, and
    the keys it must sort between (None: open end)."""
    if after is not None and before is not None and after.rank < before.rank:
        # Both neighbours as the client saw them: between their keys, whatever moved
        # in between since (so two moves into one gap get one key, ordered by id).
        return column.index(before), after.rank, before.rank
    if after is not None:  # (a `before` out of order, moved since, is let go)
        i = column.index(after) + 1
    elif before is not None:
        i = column.index(before)
    else:
        i = len(column)
    return i, column[i - 1].rank if i > 0 else None, column[i].rank if i < len(column) else None


async def move_task(ctx: Ctx, task_id: str, *, status: TaskStatus, after_id: str | None, before_id: str | None,
                    expected_version: int | None) -> TaskRec:
    viewer_id = ctx.require_viewer()
    for given, field in ((after_id, "afterTaskId"), (before_id, "beforeTaskId")):
        if given is not None and (given == task_id or kind_of(given) != "Task"):
            raise bad_input("A neighbour must be another task of the target column", field)

    def check(target: _Change) -> None:
        task = target.task
        permissions.require(permissions.move_refused(viewer_id, task, target.role))
        _check_version(task, expected_version)

    async with ctx.uow() as uow:
        target = await _read_change(uow, task_id, viewer_id)
        check(target)  # a refusal needs no lock
        await target.lock(uow, viewer_id)
        await target.reread(uow, viewer_id)  # under the board's lock: nothing moves it now
        check(target)
        before_move = target.task
        rows = (await uow.conn.execute(_COLUMN, {"board_id": before_move.board_id, "status": status.value})).all()
        column = [t for t in map(TaskRec.from_row, rows) if t.id != task_id]
        after = _neighbour(column, after_id, "afterTaskId")
        before = _neighbour(column, before_id, "beforeTaskId")
        index, lo, hi = _place(column, after, before)
        if before_move.status == status and (lo is None or lo < before_move.rank) and (
                hi is None or before_move.rank < hi):
            return before_move  # already there: no new version, no event
        if lo is not None and hi is not None and lo >= hi:
            key = await _rebalance(uow, target, column, index, viewer_id)
        else:
            key = ranks.between(lo, hi)
            if ranks.needs_rebalance(key):
                key = await _rebalance(uow, target, column, index, viewer_id)
        moved = await _write(uow, target, before_move, status, key, viewer_id)
        await uow.commit()
    _known_people(ctx, *target.people.values())
    return moved


async def _write(uow: UnitOfWork, target: _Change, task: TaskRec, status: TaskStatus, key: str, viewer_id: str,
                 *, mail: bool = True) -> TaskRec:
    """One task to its new key (and column), as one change with its event."""
    now = utcnow()
    after = replace(task, status=status, rank=key, version=task.version + 1, updated_at=now)
    await uow.conn.execute(update(tasks_t).where(tasks_t.c.id == task.id).values(
        status=status.value, rank=key, version=after.version, updated_at=now))
    changes: dict[str, Any] = {"rank": {"from": task.rank, "to": key}}
    kind = ActivityKind.TASK_MOVED
    if status != task.status:
        kind = ActivityKind.TASK_STATUS_CHANGED  # mails as a status change does
        changes["status"] = {"from": task.status.value, "to": status.value}
    people = target.people
    actor = people[viewer_id]
    supervisor: UserRec = people[task.supervisor_id]
    assignee = people.get(task.assignee_id or "")
    who = events.actor_title(viewer_id, task, target.role)
    mail_to = (events.recipients(viewer_id, [("supervisor", supervisor), ("assignee", assignee)])
               if mail and kind == ActivityKind.TASK_STATUS_CHANGED else [])
    await uow.record(
        target.board, kind=BoardEventKind.TASK_UPDATED, activity_kind=kind, actor_id=viewer_id,
        actor_email=actor.email, actor_name=actor.name, task_id=task.id,
        payload=events.base_payload(kind, events.task_message(kind, who, actor.email, after, now), now,
                                    task=events.task_json(after, supervisor, assignee), changes=changes,
                                    recipients=mail_to),
    )
    return after


async def _rebalance(uow: UnitOfWork, target: _Change, column: list[TaskRec], index: int, viewer_id: str) -> str:
    """Fresh, short keys for the whole column with the moved task at `index`; every
    other task whose key changes is a change of its own (no mail: nothing a person
    did happened to it).  Returns the moved task's key."""
    keys = ranks.sequence(len(column) + 1)
    mine = keys.pop(index)
    people = await users_by_id(uow, *(t.supervisor_id for t in column), *(t.assignee_id for t in column))
    target.people = {**people, **target.people}
    for task, key in zip(column, keys, strict=True):
        if task.rank != key:
            await _write(uow, target, task, task.status, key, viewer_id, mail=False)
    return mine
