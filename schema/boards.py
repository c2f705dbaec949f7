"""The boards area: boards, their members, invitations and activity; creating
boards, membership and invitations.  Labels and renaming or deleting a board
are in schema.labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import ID, Private

from models import tables
from models.errors import not_found
from resolvers import boards, invitations, members
from resolvers import tasks as task_ops
from resolvers.invitations import InvitationRec
from resolvers.records import BoardRec, MemberRec, UserRec
from schema.accounts import User
from schema.common import ActivityConnection, Node, activity
from schema.context import Info
from schema.scalars import DateTime
from schema.tasks import TaskConnection, TaskFilter, TaskOrder, page_args

if TYPE_CHECKING:
    from schema.labels import Label

BoardRole = strawberry.enum(tables.BoardRole, name="BoardRole")


@strawberry.type
class BoardMember:
    role: BoardRole  # type: ignore[valid-type]
    added_at: DateTime
    _user_id: Private[str]
    _user: Private[UserRec | None] = None

    @strawberry.field
    async def user(self, info: Info) -> User:
        u = self._user or await info.context.loaders.users.load(self._user_id)
        if u is None:
            raise not_found("User not found")
        return User.of(u)

    @classmethod
    def of(cls, m: MemberRec, user: UserRec | None = None) -> BoardMember:
        return cls(role=m.role, added_at=m.added_at, _user_id=m.user_id, _user=user)  # type: ignore[arg-type]


@strawberry.type
class Board(Node):
    id: ID
    name: str
    created_at: DateTime
    viewer_role: BoardRole  # type: ignore[valid-type]

    last_seq: int = strawberry.field(description=(
        "The board's latest seq (0 before its first change): subscribe with afterSeq set to it."))

    @strawberry.field
    async def members(self, info: Info) -> list[BoardMember]:
        members = await info.context.loaders.members.load(str(self.id)) or []
        return [BoardMember.of(m) for m in members]

    @strawberry.field
    async def tasks(self, info: Info, filter: TaskFilter | None = None, order_by: TaskOrder | None = None,
                    first: int | None = 50, after: str | None = None) -> TaskConnection:
        return await TaskConnection.of(info, await task_ops.board_tasks(
            info.context, str(self.id), **page_args(filter, order_by, first, after)))

    @strawberry.field
    async def activity(self, info: Info, first: int | None = 50, after: str | None = None) -> ActivityConnection:
        return await activity(info.context, "board_activity", str(self.id), first, after)

    @strawberry.field
    async def labels(self, info: Info) -> list[Annotated[Label, strawberry.lazy("schema.labels")]]:
        from schema.labels import Label

        return [Label.of(lb) for lb in await info.context.loaders.board_labels.load(str(self.id)) or []]

    @strawberry.field(description="Open invitations; owners see them all, members see an empty list.")
    async def invitations(self, info: Info) -> list[BoardInvitation]:
        if self.viewer_role != tables.BoardRole.OWNER:
            return []
        return [BoardInvitation.of(i) for i in await invitations.board_invitations(info.context, str(self.id))]

    @classmethod
    def of(cls, b: BoardRec) -> Board:
        return cls(id=ID(b.id), name=b.name, created_at=b.created_at, viewer_role=b.viewer_role,  # type: ignore[arg-type]
                   last_seq=b.event_seq)


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


@strawberry.type
class BoardQuery:
    @strawberry.field
    async def boards(self, info: Info) -> list[Board]:
        return [Board.of(b) for b in await boards.list_boards(info.context)]

    @strawberry.field
    async def board(self, info: Info, id: ID) -> Board | None:
        return Board.of(await boards.visible_board(info.context, str(id)))


@strawberry.type
class BoardMutation:
    @strawberry.mutation
    async def create_board(self, info: Info, name: str) -> Board:
        return Board.of(await boards.create_board(info.context, name=name))

    @strawberry.mutation
    async def add_board_member(self, info: Info, board_id: ID, email: str,
                               role: BoardRole = tables.BoardRole.MEMBER) -> BoardMember:  # type: ignore[valid-type]
        member = await boards.add_member(info.context, board_id=str(board_id), email=email, role=role)
        return BoardMember.of(member)

    @strawberry.mutation
    async def remove_board_member(self, info: Info, board_id: ID, user_id: ID) -> bool:
        return await boards.remove_member(info.context, board_id=str(board_id), user_id=str(user_id))


@strawberry.type
class MembershipMutation:
    @strawberry.mutation
    async def change_member_role(self, info: Info, board_id: ID, user_id: ID,
                                 role: BoardRole) -> BoardMember:  # type: ignore[valid-type]
        member = await members.change_role(info.context, board_id=str(board_id), user_id=str(user_id),
                                           role=tables.BoardRole(role))
        return BoardMember.of(member)

    @strawberry.mutation
    async def leave_board(self, info: Info, board_id: ID) -> bool:
        return await members.leave_board(info.context, board_id=str(board_id))

    @strawberry.mutation(description="Owners only. Mails an invitation link to the address, which may have no "
                                     "account yet.")
    async def invite_to_board(self, info: Info, board_id: ID, email: str,
                              role: BoardRole = tables.BoardRole.MEMBER  # type: ignore[valid-type]
                              ) -> BoardInvitation:
        return BoardInvitation.of(await invitations.invite(info.context, board_id=str(board_id), email=email,
                                                           role=tables.BoardRole(role)))

    @strawberry.mutation
    async def revoke_invitation(self, info: Info, id: ID) -> bool:
        return await invitations.revoke(info.context, invitation_id=str(id))

    @strawberry.mutation(description="By the invitee, signed in with the invited, verified address (by its id or "
                                     "by the mailed token).")
    async def accept_invitation(self, info: Info, id: ID | None = None, token: str | None = None) -> BoardMember:
        return BoardMember.of(await invitations.accept(info.context, invitation_id=str(id) if id else None,
                                                       token=token))

    @strawberry.mutation
    async def decline_invitation(self, info: Info, id: ID) -> bool:
        return await invitations.decline(info.context, invitation_id=str(id))
