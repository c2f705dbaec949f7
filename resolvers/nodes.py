"""`node(id)` and who may see a user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models.errors import ApiError, not_found
from models.ids import kind_of
from resolvers.boards import visible_board
from resolvers.comments import get_comment
from resolvers.context import Ctx
from resolvers.invitations import get_invitation
from resolvers.labels import get_label
from resolvers.records import UserRec, members_t
from resolvers.tasks import get_task


async def visible_user(ctx: Ctx, user_id: str) -> UserRec:
    """Yourself, or someone you share a board with."""
    viewer_id = ctx.require_viewer()
    if kind_of(user_id) != "User":
        raise not_found("User not found")
    if user_id != viewer_id:
        mine = select(members_t.c.board_id).where(members_t.c.user_id == viewer_id)
        async with ctx.read() as s:
            shared = (
                await s.execute(
                    select(members_t.c.board_id).where(members_t.c.user_id == user_id,
                                                       members_t.c.board_id.in_(mine)).limit(1)
                )
            ).first()
        if shared is None:
            raise not_found("User not found")
    user = await ctx.loaders.users.load(user_id)
    if user is None:
        raise not_found("User not found")
    return user


async def node(ctx: Ctx, node_id: str) -> tuple[str, Any]:
    ctx.require_viewer()
    kind = kind_of(node_id)
    try:
        if kind == "Board":
            return kind, await visible_board(ctx, node_id)
        if kind == "Task":
            return kind, await get_task(ctx, node_id)
        if kind == "User":
            return kind, await visible_user(ctx, node_id)
        if kind == "Label":
            return kind, await get_label(ctx, node_id)
        if kind == "Comment":
            return kind, await get_comment(ctx, node_id)
        if kind == "BoardInvitation":
            return kind, await get_invitation(ctx, node_id)
    except ApiError:
        raise not_found("Node not found") from None
    raise not_found("Node not found")
