"""The viewer's name, verified addresses, password reset and change.  Every mail these cause is a row
of the account outbox written in the transaction that makes its token."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models import events as kinds
from models.errors import ApiError, ErrorCode, bad_input, rate_limited
from models.tables import utcnow
from resolvers import account_outbox, account_tokens, validation
from resolvers.accounts import AuthResult, _issue, refresh_t
from resolvers.context import Ctx
from resolvers.events import iso
from resolvers.records import USER_BY_ID, USER_COLUMNS, UserRec, users_t

WRONG_PASSWORD = "The current password is not right"  # noqa: S105  # nosec B105 - a message


async def active_user(conn: AsyncConnection, user_id: str) -> Any:
    """The user row (with its password hash) of an account that is not deleted;
    UNAUTHENTICATED otherwise."""
    row = (await conn.execute(select(*USER_COLUMNS, users_t.c.password_hash)
                              .where(users_t.c.id == user_id, users_t.c.deleted_at.is_(None)))).first()
    if row is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "Authentication required")
    return row


async def update_profile(ctx: Ctx, *, name: str) -> UserRec:
    """Rename the viewer, checked as sign-up checks a name."""
    viewer_id = ctx.require_viewer()
    value = validation.text(name, validation.PERSON_NAME)
    async with ctx.write() as s:
        await active_user(s, viewer_id)
        await s.execute(update(users_t).where(users_t.c.id == viewer_id).values(name=value))
        user = await active_user(s, viewer_id)
        await s.commit()
    # A name is shown in board reads that no board change marks as changed.
    for listener in ctx.services.names_changed:
        listener()
    rec = UserRec.from_row(user)
    ctx.loaders.users.prime(rec.id, rec)
    return rec


async def request_email_verification(ctx: Ctx) -> bool:
    viewer_id = ctx.require_viewer()
    async with ctx.write() as s:
        row = await active_user(s, viewer_id)
        if row.email_verified_at is not None:
            return True  # nothing to confirm, nothing mailed
        await account_outbox.mail_verification(ctx, s, viewer_id, row.email, row.name)
        await s.commit()
    account_outbox.nudge(ctx)
    return True


async def verify_email(ctx: Ctx, *, token: str) -> UserRec:
    """Confirm the viewer's address with a token mailed to it.  A token of another
    account, or for an address the account no longer has, is refused like an
    unknown one."""
    viewer_id = ctx.require_viewer()
    async with ctx.write() as s:
        user = await active_user(s, viewer_id)
        row = await account_tokens.consume(s, account_tokens.VERIFY, token, user_id=viewer_id)
        if row.email != user.email:
            raise bad_input(account_tokens.BAD_TOKEN, "token")
        if user.email_verified_at is None:
            await s.execute(update(users_t).where(users_t.c.id == viewer_id).values(email_verified_at=utcnow()))
        user = await active_user(s, viewer_id)
        await s.commit()
    rec = UserRec.from_row(user)
    ctx.loaders.users.prime(rec.id, rec)
    return rec


async def request_password_reset(ctx: Ctx, *, email: str) -> bool:
    """Always True.  The same work for an unknown address as for a known one (a
    token made and hashed, two rows written, one commit), so neither the answer
    nor its time tells whether the address has an account."""
    email_key = email.strip().lower()[:254]
    token, token_hash = account_tokens.new_token()
    async with ctx.write() as s:
        row = (await s.execute(select(users_t.c.id, users_t.c.name, users_t.c.email)
                               .where(users_t.c.email == email_key, users_t.c.deleted_at.is_(None)))).first()
        if row is not None:
            token = await account_tokens.issue(s, account_tokens.RESET, row.id, row.email)
            await account_outbox.enqueue(
                s, kinds.ACCOUNT_PASSWORD_RESET, user_id=row.id, to_email=row.email, to_name=row.name,
                link=account_outbox.link(ctx, "/reset-password", token=token), cap=ctx.services.mail_quota,
                expiresAt=iso(utcnow() + account_tokens.TTL[account_tokens.RESET]))
        else:
            await account_outbox.discarded(s, kinds.ACCOUNT_PASSWORD_RESET, token_hash)
            await account_outbox.discarded_equal_work(s, token_hash)
        await s.commit()
    account_outbox.nudge(ctx)
    return True


async def _end_other_sessions(conn: AsyncConnection, user_id: str) -> None:
    now = utcnow()
    await conn.execute(update(refresh_t).where(refresh_t.c.user_id == user_id, refresh_t.c.revoked_at.is_(None))
                       .values(revoked_at=now))
    await conn.execute(update(users_t).where(users_t.c.id == user_id).values(sessions_revoked_at=now))


async def reset_password(ctx: Ctx, *, token: str, new_password: str) -> AuthResult:
    password = validation.password(new_password)
    password_hash = await ctx.services.passwords.hash(password)
    async with ctx.write() as s:
        row = await account_tokens.consume(s, account_tokens.RESET, token)
        user = (await s.execute(select(*USER_COLUMNS).where(users_t.c.id == row.user_id,
                                                            users_t.c.deleted_at.is_(None)))).first()
        if user is None or user.email != row.email:
            raise bad_input(account_tokens.BAD_TOKEN, "token")
        values: dict[str, Any] = {"password_hash": password_hash}
        if user.email_verified_at is None:
            values["email_verified_at"] = utcnow()  # the link reached the address
        await s.execute(update(users_t).where(users_t.c.id == row.user_id).values(**values))
        await _end_other_sessions(s, row.user_id)
        user = (await s.execute(USER_BY_ID, {"user_id": row.user_id})).first()
        result = await _issue(ctx, UserRec.from_row(user), conn=s)
        await s.commit()
    ctx.services.sessions.end(row.user_id)
    return result


async def change_password(ctx: Ctx, *, current_password: str, new_password: str) -> AuthResult:
    viewer_id = ctx.require_viewer()
    async with ctx.read() as s:
        row = await active_user(s, viewer_id)
    # A wrong current password counts as a failed login of the address: a stolen
    # access token must not become a way to guess the password.
    keys = [f"email:{row.email}"]
    limiter = ctx.services.limiter
    retry_after = await limiter.hit(keys)
    if retry_after is not None:
        raise rate_limited("Too many wrong passwords", retry_after)
    if not await ctx.services.passwords.verify(row.password_hash, current_password[:1024]):
        raise ApiError(ErrorCode.BAD_USER_INPUT, WRONG_PASSWORD, field="currentPassword")
    await limiter.undo(keys)
    password = validation.password(new_password)
    password_hash = await ctx.services.passwords.hash(password)
    async with ctx.write() as s:
        await s.execute(update(users_t).where(users_t.c.id == viewer_id).values(password_hash=password_hash))
        await _end_other_sessions(s, viewer_id)
        user = await active_user(s, viewer_id)
        result = await _issue(ctx, UserRec.from_row(user), conn=s)
        await s.commit()
    ctx.services.sessions.end(viewer_id)
    return result
