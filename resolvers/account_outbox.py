"""A user's own mail and SMS go out like task mail: a row of `account_messages`
written in the transaction that makes the token, delivered to the bus by the
account relay (notify.account_relay) with retries, rendered by the mailer."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models import events as kinds
from models.table_refs import messages_t
from models.tables import utcnow
from resolvers import account_tokens, quota
from resolvers.context import Ctx
from resolvers.events import iso


async def enqueue(conn: AsyncConnection, detail_type: str, *, user_id: str | None, to_email: str | None = None,
                  to_name: str = "", sms_number: str | None = None, cap: int | None = None, **detail: Any) -> str:
    """Write one message; its id is the bus event's id (the mailer's idempotency key).
    With `cap`, it counts against `user_id`'s daily quota (mail, or SMS for a
    number): past it the row is kept, marked, and never sent."""
    message_id = str(uuid.uuid4())
    now = utcnow()
    payload = {"eventId": message_id, "detailType": detail_type, "userId": user_id, "at": iso(now),
               "to": {"email": to_email, "name": to_name, "smsNumber": sms_number}, **detail}
    pending = True
    if cap is not None and user_id is not None:
        channel = quota.SMS if sms_number else quota.MAIL
        if not await quota.take(conn, user_id, channel, cap):
            pending = False
            payload = {k: v for k, v in payload.items() if k not in ("link", "code")}
            payload["notSent"] = "daily quota reached"
    await conn.execute(insert(messages_t).values(id=message_id, user_id=user_id, detail_type=detail_type,
                                                 payload=payload, created_at=now, pending=pending, attempts=0,
                                                 delivered_at=None))
    return message_id


async def discarded(conn: AsyncConnection, detail_type: str, token_hash: str) -> None:
    """The write a message for an unknown address would have cost, kept as a row
    that is never sent (and names nobody): see `request_password_reset`."""
    now = utcnow()
    await conn.execute(insert(messages_t).values(
        id=str(uuid.uuid4()), user_id=None, detail_type=detail_type, payload={"discarded": token_hash[:8]},
        created_at=now, pending=False, attempts=0, delivered_at=now))


async def discarded_equal_work(conn: AsyncConnection, token_hash: str) -> None:
    """The token write of a known address, matching nothing."""
    await conn.execute(account_tokens.tokens_t.update().where(account_tokens.tokens_t.c.token_hash == token_hash)
                       .values(used_at=utcnow()))


def link(ctx: Ctx, path: str, **params: str) -> str:
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
    return f"{ctx.services.public_url.rstrip('/')}{path}?{query}"


def nudge(ctx: Ctx) -> None:
    if ctx.services.account_mail_nudge is not None:
        ctx.services.account_mail_nudge()


async def mail_verification(ctx: Ctx, conn: AsyncConnection, user_id: str, email: str, name: str) -> None:
    """Issue a verification token for the address and put its mail in the outbox
    (in the caller's transaction)."""
    token = await account_tokens.issue(conn, account_tokens.VERIFY, user_id, email)
    await enqueue(
        conn, kinds.ACCOUNT_EMAIL_VERIFICATION, user_id=user_id, to_email=email, to_name=name,
        link=link(ctx, "/verify-email", token=token), cap=ctx.services.mail_quota,
        expiresAt=iso(utcnow() + account_tokens.TTL[account_tokens.VERIFY]))
