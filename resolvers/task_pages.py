"""Pages of tasks: the orderings, the filters, the cursors and the statement
that reads a page with the people it names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, overload

from sqlalchemy import Integer, Select, String, and_, bindparam, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from models.errors import bad_input
from models.tables import TaskStatus
from resolvers import label_store, validation
from resolvers.context import Ctx
from resolvers.pagination import decode_cursor, encode_cursor
from resolvers.records import TASK_PAGE_COLUMNS, TASKS_WITH_PEOPLE, TaskRec, tasks_t

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


class Cursors(Sequence[str]):
    """The cursors of a page's tasks, each made when it is read: a board page that
    selects no edge cursor (the web board's) makes only the end cursor."""

    __slots__ = ("_order", "_tag", "_tasks")

    def __init__(self, tag: str, order: OrderField, tasks: list[TaskRec]) -> None:
        self._tag, self._order, self._tasks = tag, order, tasks

    def __len__(self) -> int:
        return len(self._tasks)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._cursor(t) for t in self._tasks[index]]
        return self._cursor(self._tasks[index])

    def _cursor(self, task: TaskRec) -> str:
        return encode_cursor(self._tag, _cursor_value(task, self._order), task.id)


Page = tuple[list[TaskRec], Cursors, bool, list[ColumnElement[bool]]]


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


async def page(
    ctx: Ctx,
    scope: list[ColumnElement[bool]],
    filter_: TaskFilterIn | None,
    order: OrderField,
    descending: bool,
    first: int | None,
    after: str | None,
    board_id: str | None = None,
) -> Page:
    """A page of the tasks in `scope` (`board_id`: the scope is that board's): the
    tasks, their cursors, whether more follow, and the conditions (for a count)."""
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
    return tasks, Cursors(tag, order, tasks), len(rows) > n, conds
