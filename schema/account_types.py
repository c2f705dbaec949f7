"""Output types of the account area that other types refer to lazily (a board's
invitations), so `schema.types` need not import this module."""

from __future__ import annotations

import strawberry
from strawberry import ID, Private

from models import tables
from models.errors import not_found
from resolvers.invitations import InvitationRec
from schema.context import Info
from schema.scalars import DateTime
from schema.types import BoardRole, Node, User


@strawberry.type(description="An invitation to a board, mailed to an address that may not have an account yet.")
class BoardInvitation(Node):
    id: ID
    board_id: ID
    board_name: str
    email: str
    role: BoardRole  # type: ignore[valid-type]
    created_at: DateTime
    expires_at: DateTime
    _invited_by: Private[str]

    @strawberry.field
    async def invited_by(self, info: Info) -> User:
        u = await info.context.loaders.users.load(self._invited_by)
        if u is None:
            raise not_found("User not found")
        return User.of(u)

    @classmethod
    def of(cls, i: InvitationRec) -> BoardInvitation:
        return cls(id=ID(i.id), board_id=ID(i.board_id), board_name=i.board_name, email=i.email,
                   role=tables.BoardRole(i.role), created_at=i.created_at,  # type: ignore[arg-type]
                   expires_at=i.expires_at, _invited_by=i.invited_by)  # type: ignore[arg-type]
