"""Label rows: the record, the batch reads behind `Board.labels` and `Task.labels`,
the task-label writes and the `labelIds` filter.  No dependency on the request
context, so the loaders (resolvers.context) can use it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.sql import ColumnElement

from models.errors import bad_input
from models.ids import kind_of
from models.table_refs import labels_t, task_labels_t
from resolvers import validation
from resolvers.records import tasks_t

# A task carries at most this many labels, and a filter names at most this many.
MAX_LABELS_PER_TASK = 20
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(slots=True)
class LabelRec:
    id: str
    board_id: str
    name: str
    color: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> LabelRec:
        return cls(row.id, row.board_id, row.name, row.color, row.created_at)

    def json(self) -> dict[str, str]:
        """The label as events carry it."""
        return {"id": self.id, "name": self.name, "color": self.color}


LABEL_COLUMNS = (labels_t.c.id, labels_t.c.board_id, labels_t.c.name, labels_t.c.color, labels_t.c.created_at)
LABEL_ORDER = (labels_t.c.created_at, labels_t.c.id)

_BOARD_LABELS = (select(*LABEL_COLUMNS).where(labels_t.c.board_id.in_(bindparam("ids", expanding=True)))
                 .order_by(*LABEL_ORDER))
_TASK_LABELS = (select(task_labels_t.c.task_id, *LABEL_COLUMNS)
                .join(labels_t, labels_t.c.id == task_labels_t.c.label_id)
                .where(task_labels_t.c.task_id.in_(bindparam("ids", expanding=True)))
                .order_by(*LABEL_ORDER))
_TASK_LABEL_IDS = select(task_labels_t.c.label_id).where(task_labels_t.c.task_id == bindparam("task_id"))


def name(value: Any) -> str:
    validation.not_null(value, "name", "A label's name")
    return validation.text(value, validation.LABEL_NAME)


def color(value: Any) -> str:
    if value is None or not _COLOR.match(value.strip()):
        raise bad_input("Pick a colour as #rrggbb, e.g. #1f883d.", "color")
    return str(value.strip().lower())


async def board_labels(conn: Any, board_ids: list[str]) -> dict[str, list[LabelRec]]:
    out: dict[str, list[LabelRec]] = {b: [] for b in board_ids}
    for row in await conn.execute(_BOARD_LABELS, {"ids": board_ids}):
        out[row.board_id].append(LabelRec.from_row(row))
    return out


async def task_labels(conn: Any, task_ids: list[str]) -> dict[str, list[LabelRec]]:
    out: dict[str, list[LabelRec]] = {t: [] for t in task_ids}
    for row in await conn.execute(_TASK_LABELS, {"ids": task_ids}):
        out[row.task_id].append(LabelRec.from_row(row))
    return out


def label_ids(given: list[str]) -> list[str]:
    """`labelIds` as given, without repeats; too many is BAD_USER_INPUT."""
    ids = list(dict.fromkeys(str(i) for i in given))
    if len(ids) > MAX_LABELS_PER_TASK:
        raise bad_input(f"A task can carry at most {MAX_LABELS_PER_TASK} labels.", "labelIds")
    return ids


async def board_labels_named(conn: Any, board_id: str, ids: list[str]) -> list[LabelRec]:
    """The labels `ids` names, all of `board_id` (call under the board's lock);
    any other is BAD_USER_INPUT."""
    if not ids:
        return []
    if any(kind_of(i) != "Label" for i in ids):
        raise bad_input("Labels must be labels of the task's board", "labelIds")
    rows = (await conn.execute(select(*LABEL_COLUMNS).where(labels_t.c.id.in_(ids),
                                                            labels_t.c.board_id == board_id)
                               .order_by(*LABEL_ORDER))).all()
    if len(rows) != len(ids):
        raise bad_input("Labels must be labels of the task's board", "labelIds")
    return [LabelRec.from_row(r) for r in rows]


async def label_ids_of(conn: Any, task_id: str) -> set[str]:
    return set((await conn.execute(_TASK_LABEL_IDS, {"task_id": task_id})).scalars().all())


async def set_task_labels(conn: Any, task_id: str, labels: list[LabelRec], *, replace: bool = True) -> None:
    if replace:
        await conn.execute(delete(task_labels_t).where(task_labels_t.c.task_id == task_id))
    if labels:
        await conn.execute(insert(task_labels_t), [{"task_id": task_id, "label_id": lb.id} for lb in labels])


def carrying_all(ids: list[str]) -> list[ColumnElement[bool]]:
    """Tasks that carry every label of `ids` (the `labelIds` filter)."""
    ids = label_ids(ids)
    return [tasks_t.c.id.in_(select(task_labels_t.c.task_id).where(task_labels_t.c.label_id == i)) for i in ids]
