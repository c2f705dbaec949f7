"""Labels of a board: any member (owner or not) creates, edits and deletes them.
Each change is a change of the board: its seq, activity entry and bus event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from models.errors import ApiError, ErrorCode
from models.ids import new_id
from models.tables import ActivityKind, BoardEventKind, utcnow
from models.uow import LockedBoard, UnitOfWork
from resolvers import boards, label_events, label_store
from resolvers.boards import locked_board_for, visible_board
from resolvers.context import Ctx
from resolvers.events import actor_title
from resolvers.label_store import LABEL_COLUMNS, LabelRec, labels_t
from resolvers.lookup import one_row, require_kind

LABEL_NOT_FOUND = "Label not found"
_KINDS = {
    ActivityKind.LABEL_CREATED: BoardEventKind.LABEL_CREATED,
    ActivityKind.LABEL_UPDATED: BoardEventKind.LABEL_UPDATED,
    ActivityKind.LABEL_DELETED: BoardEventKind.LABEL_DELETED,
}


async def _check_name_free(uow: UnitOfWork, board_id: str, name: str, label_id: str | None = None) -> None:
    """Names are unique on a board, ignoring case (the board's lock is held)."""
    names = (await uow.conn.execute(select(labels_t.c.id, labels_t.c.name)
                                    .where(labels_t.c.board_id == board_id))).all()
    if any(r.name.casefold() == name.casefold() and r.id != label_id for r in names):
        raise ApiError(ErrorCode.CONFLICT, "The board already has a label with that name")


async def _record(uow: UnitOfWork, board: LockedBoard, kind: ActivityKind, viewer_id: str, label: LabelRec,
                  changes: dict[str, Any] | None = None) -> None:
    actor = await boards.actor(uow, viewer_id)
    who = actor_title(viewer_id, None, board.role)
    await uow.record(
        board, kind=_KINDS[kind], activity_kind=kind, actor_id=viewer_id, actor_email=actor.email,
        actor_name=actor.name, task_id=None,
        payload=label_events.label_payload(kind, who, actor.email, board.name, label, utcnow(), changes),
    )


async def create_label(ctx: Ctx, *, board_id: str, name: str, color: str) -> LabelRec:
    viewer_id = ctx.require_viewer()
    name, color = label_store.name(name), label_store.color(color)
    async with ctx.uow() as uow:
        board, _ = await locked_board_for(uow, board_id, viewer_id)
        await _check_name_free(uow, board_id, name)
        label = LabelRec(new_id("lbl"), board_id, name, color, utcnow())
        await uow.conn.execute(insert(labels_t).values(id=label.id, board_id=board_id, name=name, color=color,
                                                       created_at=label.created_at))
        await _record(uow, board, ActivityKind.LABEL_CREATED, viewer_id, label)
        await uow.commit()
    return label


_LABEL = select(*LABEL_COLUMNS).where(labels_t.c.id == bindparam("label_id"))


async def _locked_label(uow: UnitOfWork, label_id: str, viewer_id: str) -> tuple[LockedBoard, LabelRec]:
    """The label and its board, locked; NOT_FOUND unless the viewer is a member."""
    require_kind(label_id, "Label", LABEL_NOT_FOUND)
    board_id = (await one_row(uow.conn, LABEL_NOT_FOUND, _LABEL, {"label_id": label_id})).board_id
    board, _ = await locked_board_for(uow, board_id, viewer_id, LABEL_NOT_FOUND)
    row = await one_row(uow.conn, LABEL_NOT_FOUND, _LABEL, {"label_id": label_id})  # (deleted while we waited)
    return board, LabelRec.from_row(row)


async def update_label(ctx: Ctx, label_id: str, *, name: str | None, color: str | None) -> LabelRec:
    """Absent (None) fields stay as they are; a change that changes nothing records nothing."""
    viewer_id = ctx.require_viewer()
    new_name = None if name is None else label_store.name(name)
    new_color = None if color is None else label_store.color(color)
    async with ctx.uow() as uow:
        board, label = await _locked_label(uow, label_id, viewer_id)
        values: dict[str, str] = {}
        changes: dict[str, Any] = {}
        for field, old, new in (("name", label.name, new_name), ("color", label.color, new_color)):
            if new is not None and new != old:
                values[field] = new
                changes[field] = {"from": old, "to": new}
        if not values:
            return label
        if "name" in values:
            await _check_name_free(uow, board.id, values["name"], label.id)
        await uow.conn.execute(update(labels_t).where(labels_t.c.id == label.id).values(**values))
        label.name, label.color = values.get("name", label.name), values.get("color", label.color)
        await _record(uow, board, ActivityKind.LABEL_UPDATED, viewer_id, label, changes)
        await uow.commit()
    return label


async def delete_label(ctx: Ctx, label_id: str) -> str:
    """Takes the label off every task that carries it (the task_labels cascade):
    one LABEL_DELETED event, no task event."""
    viewer_id = ctx.require_viewer()
    async with ctx.uow() as uow:
        board, label = await _locked_label(uow, label_id, viewer_id)
        await uow.conn.execute(delete(labels_t).where(labels_t.c.id == label.id))
        await _record(uow, board, ActivityKind.LABEL_DELETED, viewer_id, label)
        await uow.commit()
    return label.id


async def get_label(ctx: Ctx, label_id: str) -> LabelRec:
    """A label of a board the viewer is a member of; NOT_FOUND otherwise."""
    ctx.require_viewer()
    require_kind(label_id, "Label", LABEL_NOT_FOUND)
    async with ctx.read() as s:
        row = await one_row(s, LABEL_NOT_FOUND, _LABEL, {"label_id": label_id})
    await visible_board(ctx, row.board_id, LABEL_NOT_FOUND)
    return LabelRec.from_row(row)
