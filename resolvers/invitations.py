"""Board invitations: an owner invites an address, its verified holder accepts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.errors import not_yet
from resolvers.context import Ctx


@dataclass(slots=True)
class InvitationRec:
    id: str
    board_id: str
    board_name: str
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


async def viewer_invitations(ctx: Ctx) -> list[InvitationRec]:
    ctx.require_viewer()
    raise not_yet("Viewer.invitations")


async def board_invitations(ctx: Ctx, board_id: str) -> list[InvitationRec]:
    ctx.require_viewer()
    raise not_yet("Board.invitations")
