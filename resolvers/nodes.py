"""`node(id)` and who may see a user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


# How each kind of node is read: NOT_FOUND unless the viewer may see it.
_READERS: dict[str, Callable[[Ctx, str], Awaitable[Any]]] = {
    "Board": visible_board,
    "Task": get_task,
    "User": visible_user,
    "Label": get_label,
    "Comment": get_comment,
    "BoardInvitation": get_invitation,
}


async def node(ctx: Ctx, node_id: str) -> tuple[str, Any]:
    ctx.require_viewer()
    kind = kind_of(node_id) or ""
    read = _READERS.get(kind)
    if read is None:
        raise not_found("Node not found")
    try:
        return kind, await read(ctx, node_id)
    except ApiError:
        raise not_found("Node not found") from None
