"""Sign-up, login, token refresh and logout, the viewer and their settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from auth.tokens import hash_refresh
from models.errors import ApiError, ErrorCode, rate_limited
from models.ids import new_id
from models.table_refs import refresh_t
from models.tables import utcnow
from resolvers import account_outbox, validation
from resolvers.context import Ctx
from resolvers.records import USER_BY_ID, USER_COLUMNS, UserRec, users_t

BAD_LOGIN = "Invalid email or password"


@dataclass(slots=True)
class AuthResult:
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserRec


async def _issue(ctx: Ctx, user: UserRec, family_id: str | None = None, conn: Any = None) -> AuthResult:
    tokens = ctx.services.tokens
    refresh, refresh_hash = tokens.new_refresh()
    now = utcnow()
    values = {
        "token_hash": refresh_hash,
        "family_id": family_id or str(uuid.uuid4()),
        "user_id": user.id,
        "created_at": now,
        "expires_at": now + timedelta(seconds=tokens.refresh_ttl),
    }
    if conn is None:
        async with ctx.write() as s:
            await s.execute(insert(refresh_t).values(**values))
            await s.commit()
    else:
        await conn.execute(insert(refresh_t).values(**values))
    if ctx.session_cookie:  # it goes in an HttpOnly cookie: no script sees it
        ctx.issued_refresh, refresh = refresh, ""
    return AuthResult(tokens.issue_access(user.id), refresh, tokens.access_ttl, user)


async def sign_up(ctx: Ctx, *, email: str, name: str, password: str) -> AuthResult:
    email = validation.email(email)
    name = validation.text(name, validation.PERSON_NAME)
    password = validation.password(password)
    password_hash = await ctx.services.passwords.hash(password)
    user = UserRec(id=new_id("usr"), email=email, name=name, created_at=utcnow())
    try:
        async with ctx.write() as s:
            await s.execute(
                insert(users_t).values(
                    id=user.id, email=email, name=name, password_hash=password_hash, created_at=user.created_at,
                    email_on_task_change=True, email_deadline_reminders=True, sms_on_task_change=False,
                )
            )
            result = await _issue(ctx, user, conn=s)
            # The address is unconfirmed until its holder follows this link: only
            # this mail goes to it before then.
            await account_outbox.mail_verification(ctx, s, user.id, email, name)
            await s.commit()
    except IntegrityError:
        raise ApiError(ErrorCode.CONFLICT, "An account with this email already exists", field="email") from None
    account_outbox.nudge(ctx)
    return result


async def login(ctx: Ctx, *, email: str, password: str) -> AuthResult:
    email_key = email.strip().lower()[:254]
    keys = [f"email:{email_key}", f"ip:{ctx.client_ip}"]
    limiter = ctx.services.limiter
    # Counted before the password is looked at: a burst of parallel guesses is
    # cut at the limit, not after it.  A right password gives its place back.
    retry_after = await limiter.hit(keys)
    if retry_after is not None:
        raise rate_limited("Too many failed logins", retry_after)
    try:
        async with ctx.read() as s:
            row = (
                await s.execute(select(*USER_COLUMNS, users_t.c.password_hash).where(users_t.c.email == email_key))
            ).first()
        ok = await ctx.services.passwords.verify(row.password_hash if row else None, password[:1024])
    except BaseException:
        await limiter.undo(keys)  # never judged (database down, cancelled): not a failure, and nothing told
        raise
    if row is None or not ok:
        raise ApiError(ErrorCode.UNAUTHENTICATED, BAD_LOGIN)
    await limiter.undo(keys[1:])
    await limiter.reset(keys[0])
    return await _issue(ctx, UserRec.from_row(row))


async def refresh(ctx: Ctx, *, refresh_token: str) -> AuthResult:
    token_hash = hash_refresh(refresh_token)
    now = utcnow()
    async with ctx.write() as s:
        row = (await s.execute(select(refresh_t).where(refresh_t.c.token_hash == token_hash))).first()
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Invalid refresh token")
        # Single use: only the first presenter wins; a second one is a replay, and a
        # replay means the token leaked, so the whole family dies.
        claimed = await s.execute(
            update(refresh_t)
            .where(refresh_t.c.id == row.id, refresh_t.c.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            await s.execute(
                update(refresh_t)
                .where(refresh_t.c.family_id == row.family_id, refresh_t.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            await s.commit()
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Invalid refresh token")
        user_row = (await s.execute(USER_BY_ID, {"user_id": row.user_id})).first()
        if user_row is None:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Invalid refresh token")
        result = await _issue(ctx, UserRec.from_row(user_row), family_id=row.family_id, conn=s)
        await s.commit()
    return result


async def logout(ctx: Ctx, *, refresh_token: str) -> bool:
    token_hash = hash_refresh(refresh_token)
    async with ctx.write() as s:
        row = (await s.execute(select(refresh_t.c.family_id).where(refresh_t.c.token_hash == token_hash))).first()
        if row is None:
            return False
        await s.execute(
            update(refresh_t)
            .where(refresh_t.c.family_id == row.family_id, refresh_t.c.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        await s.commit()
    return True


async def viewer(ctx: Ctx) -> UserRec:
    viewer_id = ctx.require_viewer()
    user = await ctx.loaders.users.load(viewer_id)
    if user is None:  # deleted since the token was issued
        raise ApiError(ErrorCode.UNAUTHENTICATED, "Authentication required")
    return user


_UNSET: Any = object()


async def update_notification_settings(
    ctx: Ctx,
    *,
    email_on_task_change: bool | None = None,
    email_deadline_reminders: bool | None = None,
    sms_on_task_change: bool | None = None,
    phone_number: Any = _UNSET,
    email_on_mention: bool | None = None,
) -> UserRec:
    viewer_id = ctx.require_viewer()
    values: dict[str, Any] = {}
    if email_on_task_change is not None:
        values["email_on_task_change"] = email_on_task_change
    if email_deadline_reminders is not None:
        values["email_deadline_reminders"] = email_deadline_reminders
    if sms_on_task_change is not None:
        values["sms_on_task_change"] = sms_on_task_change
    if email_on_mention is not None:
        values["email_on_mention"] = email_on_mention
    if phone_number is not _UNSET:
        values["phone_number"] = None if phone_number is None else validation.phone(phone_number)
    async with ctx.write() as s:
        if "phone_number" in values:
            # A number is confirmed only as the one the code was texted to.
            await s.execute(update(users_t).where(users_t.c.id == viewer_id,
                                                  users_t.c.phone_number.is_distinct_from(values["phone_number"]))
                            .values(phone_verified_at=None))
        if values:
            await s.execute(update(users_t).where(users_t.c.id == viewer_id).values(**values))
        row = (await s.execute(USER_BY_ID, {"user_id": viewer_id})).first()
        await s.commit()
    if row is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "Authentication required")
    return UserRec.from_row(row)
