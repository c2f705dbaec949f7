"""Deleting an account: the person's data goes (name, email, phone, tokens, pending
messages), their row stays as a "Deleted user" so the tasks and the activity log
that name them keep their history."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from models.errors import ApiError, ErrorCode, rate_limited
from models.table_refs import codes_t, messages_t, tokens_t
from models.tables import BoardRole, utcnow
from resolvers import boards, invitations
from resolvers.account_flows import active_user
from resolvers.accounts import refresh_t
from resolvers.context import Ctx
from resolvers.records import boards_t, members_t, users_t

DELETED_NAME = "Deleted user"
# Rows that hold the person's tokens, codes or address.
_PERSONAL = (tokens_t, codes_t, messages_t)
LAST_OWNER = "You are the last owner of a board that has other members: make someone else owner first"


def deleted_email(user_id: str) -> str:
    # Unique (the column is) and undeliverable (.invalid is reserved).
    return f"deleted-{user_id}@deleted.invalid"


async def delete_account(ctx: Ctx, *, password: str) -> bool:
    viewer_id = ctx.require_viewer()
    async with ctx.read() as s:
        row = await active_user(s, viewer_id)
    keys = [f"email:{row.email}"]
    retry_after = await ctx.services.limiter.hit(keys)
    if retry_after is not None:
        raise rate_limited("Too many wrong passwords", retry_after)
    if not await ctx.services.passwords.verify(row.password_hash, password[:1024]):
        raise ApiError(ErrorCode.BAD_USER_INPUT, "The password is not right", field="password")
    await ctx.services.limiter.undo(keys)
    alone, shared = await _boards_of(ctx, viewer_id)
    # Leave every shared board as a member leaving would (their tasks unassigned,
    # MEMBER_REMOVED live and in the log); boards of their own go with them.
    for board_id in shared:
        await boards.remove_member(ctx, board_id=board_id, user_id=viewer_id)
    now = utcnow()
    async with ctx.write() as s:
        if alone:
            await s.execute(delete(boards_t).where(boards_t.c.id.in_(alone)))
        await s.execute(delete(refresh_t).where(refresh_t.c.user_id == viewer_id))
        for t in _PERSONAL:
            await s.execute(delete(t).where(t.c.user_id == viewer_id))
        inv = invitations.invitations_t
        await s.execute(update(inv).where(inv.c.invited_by == viewer_id, inv.c.status == invitations.OPEN)
                        .values(status=invitations.REVOKED, closed_at=now))
        await s.execute(update(users_t).where(users_t.c.id == viewer_id).values(
            email=deleted_email(viewer_id), name=DELETED_NAME, password_hash="!", phone_number=None,  # noqa: S106  # nosec B106 - no hash: matches no password
            phone_verified_at=None, email_verified_at=None, email_on_task_change=False,
            email_deadline_reminders=False, sms_on_task_change=False, deleted_at=now, sessions_revoked_at=now))
        await s.commit()
    # Its access tokens stop here, not when they expire; other instances learn it
    # from `deleted_at` (resolvers.sessions.SessionRegistry.watch).
    ctx.services.tokens.revoke_user(viewer_id)
    ctx.services.sessions.end(viewer_id)
    return True


async def _boards_of(ctx: Ctx, user_id: str) -> tuple[list[str], list[str]]:
    """(boards only this user is in, boards shared with others); CONFLICT when they
    are the last owner of a shared board."""
    everyone, owners = members_t.alias("everyone"), members_t.alias("owners")
    members_n = (select(func.count()).select_from(everyone)
                 .where(everyone.c.board_id == members_t.c.board_id).scalar_subquery())
    owners_n = (select(func.count()).select_from(owners)
                .where(owners.c.board_id == members_t.c.board_id, owners.c.role == BoardRole.OWNER.value)
                .scalar_subquery())
    async with ctx.read() as s:
        rows = (await s.execute(select(members_t.c.board_id, members_t.c.role, members_n.label("members"),
                                       owners_n.label("owners"))
                                .where(members_t.c.user_id == user_id))).all()
    alone, shared = [], []
    for r in rows:
        if r.members <= 1:
            alone.append(r.board_id)
            continue
        if r.role == BoardRole.OWNER.value and r.owners <= 1:
            raise ApiError(ErrorCode.CONFLICT, LAST_OWNER)
        shared.append(r.board_id)
    return alone, shared
