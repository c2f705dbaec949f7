"""Board invitations: an owner invites an address (which may have no account yet);
its holder, signed in with that address verified, accepts or declines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import events as kinds
from models.errors import ApiError, ErrorCode, bad_input, not_found
from models.ids import kind_of, new_id
from models.table_refs import invitations_t
from models.tables import ActivityKind, BoardEventKind, BoardRole, utcnow
from resolvers import account_events, account_outbox, account_tokens, boards, events, validation, viewer_events
from resolvers.context import Ctx
from resolvers.lookup import one_row, require_kind
from resolvers.records import MemberRec, UserRec, boards_t, members_t, users_t

OPEN, ACCEPTED, DECLINED, REVOKED = "OPEN", "ACCEPTED", "DECLINED", "REVOKED"
INVITATION_NOT_FOUND = "Invitation not found"


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

    @classmethod
    def from_row(cls, r: Any) -> InvitationRec:
        return cls(r.id, r.board_id, r.board_name, r.email, r.role, r.invited_by, r.created_at, r.expires_at)


_COLUMNS = (invitations_t.c.id, invitations_t.c.board_id, boards_t.c.name.label("board_name"), invitations_t.c.email,
            invitations_t.c.role, invitations_t.c.invited_by, invitations_t.c.created_at, invitations_t.c.expires_at)


def _open_invitations() -> Any:
    return (select(*_COLUMNS).join(boards_t, boards_t.c.id == invitations_t.c.board_id)
            .where(invitations_t.c.status == OPEN, invitations_t.c.expires_at > utcnow())
            .order_by(invitations_t.c.created_at, invitations_t.c.id))


async def _viewer(conn: AsyncConnection, viewer_id: str) -> Any:
    row = (await conn.execute(select(users_t.c.id, users_t.c.email, users_t.c.email_verified_at)
                              .where(users_t.c.id == viewer_id))).first()
    if row is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "Authentication required")
    return row


async def viewer_invitations(ctx: Ctx) -> list[InvitationRec]:
    """Open invitations to the viewer's address, once it is verified."""
    viewer_id = ctx.require_viewer()
    async with ctx.read() as s:
        viewer = await _viewer(s, viewer_id)
        if viewer.email_verified_at is None:
            return []
        rows = (await s.execute(_open_invitations().where(invitations_t.c.email == viewer.email))).all()
    return [InvitationRec.from_row(r) for r in rows]


async def board_invitations(ctx: Ctx, board_id: str) -> list[InvitationRec]:
    """A board's open invitations (the caller checked that the viewer owns it)."""
    ctx.require_viewer()
    async with ctx.read() as s:
        rows = (await s.execute(_open_invitations().where(invitations_t.c.board_id == board_id))).all()
    return [InvitationRec.from_row(r) for r in rows]


async def invite(ctx: Ctx, *, board_id: str, email: str, role: BoardRole) -> InvitationRec:
    viewer_id = ctx.require_viewer()
    email = validation.email(email)
    async with ctx.uow() as uow:
        board, viewer_role = await boards.locked_board_for(uow, board_id, viewer_id)
        if viewer_role != BoardRole.OWNER:
            raise ApiError(ErrorCode.FORBIDDEN, "Only the board's owners manage its members")
        member = (await uow.conn.execute(select(members_t.c.user_id).join(users_t, users_t.c.id == members_t.c.user_id)
                                         .where(members_t.c.board_id == board_id, users_t.c.email == email))).first()
        if member is not None:
            raise ApiError(ErrorCode.CONFLICT, "That address already belongs to a member of this board",
                           field="email")
        inviter = await boards.actor(uow, viewer_id)
        now = utcnow()
        # A new invitation to the same address replaces the open one (a fresh link).
        await uow.conn.execute(update(invitations_t).where(invitations_t.c.board_id == board_id,
                                                           invitations_t.c.email == email,
                                                           invitations_t.c.status == OPEN)
                               .values(status=REVOKED, closed_at=now))
        token, token_hash = account_tokens.new_token()
        rec = InvitationRec(new_id("inv"), board_id, board.name, email, role.value, viewer_id, now,
                            now + account_tokens.INVITATION_TTL)
        await uow.conn.execute(insert(invitations_t).values(
            id=rec.id, board_id=board_id, email=email, role=role.value, invited_by=viewer_id, token_hash=token_hash,
            status=OPEN, created_at=now, expires_at=rec.expires_at))
        await account_outbox.enqueue(
            uow.conn, kinds.ACCOUNT_INVITATION, user_id=viewer_id, to_email=email, boardName=board.name,
            invitedBy=inviter.name, role=role.value, invitationId=rec.id,
            link=account_outbox.link(ctx, "/invitations/accept", id=rec.id, token=token), cap=ctx.services.mail_quota,
            expiresAt=events.iso(rec.expires_at))
        invitee = await boards.user_by(uow, email=email)
        await uow.commit()
    account_outbox.nudge(ctx)
    if invitee is not None and invitee.email_verified:  # it shows in their viewer.invitations: say so live
        viewer_events.announce_invitation(ctx, invitee.id, board_id=board_id, board_name=board.name,
                                          role=role.value, invitation_id=rec.id, by_name=inviter.name)
    return rec


async def _owned_invitation(ctx: Ctx, invitation_id: str) -> Any:
    """The open invitation if the viewer owns its board; NOT_FOUND otherwise."""
    viewer_id = ctx.require_viewer()
    require_kind(invitation_id, "BoardInvitation", INVITATION_NOT_FOUND)
    async with ctx.read() as s:
        row = await one_row(s, INVITATION_NOT_FOUND, (
            select(invitations_t.c.board_id, invitations_t.c.status, members_t.c.role)
            .join(members_t, (members_t.c.board_id == invitations_t.c.board_id) & (members_t.c.user_id == viewer_id))
            .where(invitations_t.c.id == invitation_id)))
    if row.role != BoardRole.OWNER.value or row.status != OPEN:
        raise not_found(INVITATION_NOT_FOUND)
    return row


async def revoke(ctx: Ctx, *, invitation_id: str) -> bool:
    await _owned_invitation(ctx, invitation_id)
    return await _close(ctx, invitation_id, REVOKED)


async def _close(ctx: Ctx, invitation_id: str, status: str) -> bool:
    async with ctx.write() as s:
        done = await s.execute(update(invitations_t).where(invitations_t.c.id == invitation_id,
                                                           invitations_t.c.status == OPEN)
                               .values(status=status, closed_at=utcnow()))
        await s.commit()
    if done.rowcount != 1:
        raise not_found(INVITATION_NOT_FOUND)
    return True


async def _mine(ctx: Ctx, conn: AsyncConnection, invitation_id: str | None, token: str | None) -> Any:
    """The open, unexpired invitation to the viewer's verified address, by id or by
    the mailed token."""
    viewer = await _viewer(conn, ctx.require_viewer())
    q = select(invitations_t).where(invitations_t.c.status == OPEN, invitations_t.c.expires_at > utcnow())
    if token is not None:
        row = (await conn.execute(q.where(invitations_t.c.token_hash == account_tokens.digest(token[:200])))).first()
        if row is None or (invitation_id is not None and row.id != invitation_id):
            raise bad_input(account_tokens.BAD_TOKEN, "token")
    elif invitation_id is not None and kind_of(invitation_id) == "BoardInvitation":
        row = (await conn.execute(q.where(invitations_t.c.id == invitation_id))).first()
        if row is None or row.email != viewer.email or viewer.email_verified_at is None:
            raise not_found(INVITATION_NOT_FOUND)
    elif invitation_id is None:
        raise bad_input("Give the invitation's id or its token", "id")
    else:
        raise not_found(INVITATION_NOT_FOUND)
    if row.email != viewer.email:
        raise ApiError(ErrorCode.FORBIDDEN, "This invitation is for another address: sign in with that one")
    if viewer.email_verified_at is None:
        raise ApiError(ErrorCode.FORBIDDEN, "Confirm your email address first (see the mail we sent you)")
    return row


async def decline(ctx: Ctx, *, invitation_id: str) -> bool:
    async with ctx.read() as s:
        await _mine(ctx, s, invitation_id, None)
    return await _close(ctx, invitation_id, DECLINED)


async def accept(ctx: Ctx, *, invitation_id: str | None, token: str | None) -> MemberRec:
    viewer_id = ctx.require_viewer()
    async with ctx.read() as s:
        invitation = await _mine(ctx, s, invitation_id, token)
    async with ctx.uow() as uow:
        board = await uow.lock_board(invitation.board_id, member_id=viewer_id)
        if board is None:
            raise not_found(INVITATION_NOT_FOUND)
        if board.role is not None:
            raise ApiError(ErrorCode.CONFLICT, "You are already a member of this board")
        now = utcnow()
        closed = await uow.conn.execute(update(invitations_t).where(invitations_t.c.id == invitation.id,
                                                                    invitations_t.c.status == OPEN)
                                        .values(status=ACCEPTED, closed_at=now))
        if closed.rowcount != 1:  # accepted, declined or revoked meanwhile
            raise not_found(INVITATION_NOT_FOUND)
        role = BoardRole(invitation.role)
        member = MemberRec(board.id, viewer_id, role, now)
        await uow.conn.execute(insert(members_t).values(board_id=board.id, user_id=viewer_id, role=role.value,
                                                        added_at=now))
        people = await boards.users_by_id(uow, viewer_id, invitation.invited_by)
        user, inviter = people[viewer_id], people.get(invitation.invited_by)
        message = events.member_message(True, "Invitee", user.email, user, board.name, now)
        await uow.record(
            board, kind=BoardEventKind.MEMBER_ADDED, activity_kind=ActivityKind.MEMBER_ADDED,
            actor_id=viewer_id, actor_email=user.email, actor_name=user.name, task_id=None,
            payload=events.base_payload(
                ActivityKind.MEMBER_ADDED, message, now, member=events.member_json(member, user),
                changes={"invitation": {"from": None, "to": invitation.id}},
                recipients=_accepted_recipients(ctx, user, inviter, board.id)),
        )
        await uow.commit()
    ctx.loaders.users.prime(user.id, user)
    return member


def _accepted_recipients(ctx: Ctx, user: UserRec, inviter: UserRec | None, board_id: str) -> list[dict[str, Any]]:
    # Accepting is being added (by the invitation): the one mail saying so goes out.
    out = account_events.added_recipients(ctx.services.public_url, "", user, board_id)
    for r in out:
        r["addedBy"] = inviter.name if inviter else None
    return out


async def get_invitation(ctx: Ctx, invitation_id: str) -> InvitationRec:
    """An open invitation, for an owner of its board or its verified invitee."""
    viewer_id = ctx.require_viewer()
    require_kind(invitation_id, "BoardInvitation", INVITATION_NOT_FOUND)
    async with ctx.read() as s:
        row = await one_row(s, INVITATION_NOT_FOUND, _open_invitations().where(invitations_t.c.id == invitation_id))
        role = (await s.execute(select(members_t.c.role).where(members_t.c.board_id == row.board_id,
                                                                members_t.c.user_id == viewer_id))).scalar()
        viewer = await _viewer(s, viewer_id)
    mine = viewer.email_verified_at is not None and viewer.email == row.email
    if role != BoardRole.OWNER.value and not mine:
        raise not_found(INVITATION_NOT_FOUND)
    return InvitationRec.from_row(row)
