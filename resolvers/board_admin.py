"""Renaming and deleting a board.

`deleteBoard` deletes the board row; its tasks (with their labels and comments),
labels, members and invitations go by their foreign keys' cascades, so no reader
anywhere needs to know about deleted boards.  Its events stay (`board_events` has
no key to boards): the BOARD_DELETED outbox row written in the same transaction
still reaches the activity log, the bus and every live subscriber, whose streams
then complete."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from models.errors import ApiError, ErrorCode
from models.tables import ActivityKind, BoardEventKind, BoardRole, utcnow
from resolvers import boards, label_events, validation
from resolvers.boards import locked_board_for
from resolvers.context import Ctx
from resolvers.events import actor_title
from resolvers.records import BoardRec, boards_t


async def rename_board(ctx: Ctx, board_id: str, *, name: str) -> BoardRec:
    """Any member may rename the board (the contract limits only deletion to owners)."""
    viewer_id = ctx.require_viewer()
    name = validation.text(name, validation.BOARD_NAME)
    async with ctx.uow() as uow:
        board, role = await locked_board_for(uow, board_id, viewer_id)
        if name != board.name:
            before, now = board.name, utcnow()
            await uow.conn.execute(update(boards_t).where(boards_t.c.id == board_id).values(name=name))
            actor = await boards.actor(uow, viewer_id)
            board.name = name  # the event's `boardName` is the name after
            await uow.record(
                board, kind=BoardEventKind.BOARD_RENAMED, activity_kind=ActivityKind.BOARD_RENAMED,
                actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=None,
                payload=label_events.renamed_payload(actor_title(viewer_id, None, role), actor.email, before,
                                                     name, now),
            )
            await uow.commit()
        created_at = (await uow.conn.execute(select(boards_t.c.created_at)
                                             .where(boards_t.c.id == board_id))).scalar_one()
    return BoardRec(board.id, board.name, created_at, role, board.event_seq)


async def delete_board(ctx: Ctx, board_id: str) -> str:
    viewer_id = ctx.require_viewer()
    async with ctx.uow() as uow:
        board, role = await locked_board_for(uow, board_id, viewer_id)
        if role != BoardRole.OWNER:
            raise ApiError(ErrorCode.FORBIDDEN, "Only the board's owners may delete it")
        actor = await boards.actor(uow, viewer_id)
        await uow.record(
            board, kind=BoardEventKind.BOARD_DELETED, activity_kind=ActivityKind.BOARD_DELETED,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=None,
            payload=label_events.deleted_payload(actor_title(viewer_id, None, role), actor.email, board.name,
                                                 utcnow()),
        )
        await uow.conn.execute(delete(boards_t).where(boards_t.c.id == board_id))
        await uow.commit()
    return board_id
