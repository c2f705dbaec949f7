"""Tokens that mails carry: random, stored as their SHA-256, single-use, expiring.
Every way a token can be wrong (unknown, used, expired, for another purpose)
gives the same answer, so a guesser learns nothing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from models.errors import bad_input
from models.table_refs import tokens_t
from models.tables import utcnow

VERIFY = "verify_email"
RESET = "reset_password"
TTL = {VERIFY: timedelta(hours=24), RESET: timedelta(minutes=30)}
INVITATION_TTL = timedelta(days=7)
BAD_TOKEN = "This link is invalid or has expired"  # noqa: S105  # nosec B105 - a message


def new_token() -> tuple[str, str]:
    """A token for a mail and the hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(conn: AsyncConnection, purpose: str, user_id: str, email: str) -> str:
    token, token_hash = new_token()
    now = utcnow()
    await conn.execute(insert(tokens_t).values(token_hash=token_hash, purpose=purpose, user_id=user_id, email=email,
                                               created_at=now, expires_at=now + TTL[purpose]))
    return token


async def consume(conn: AsyncConnection, purpose: str, token: str, *, user_id: str | None = None) -> Any:
    """Spend a token (of `user_id`'s, when given): its row (user_id, email) once;
    BAD_USER_INPUT otherwise.  The claim is one conditional UPDATE, so two
    presenters cannot both win."""
    token_hash = digest(token[:200])
    now = utcnow()
    q = (select(tokens_t.c.id, tokens_t.c.user_id, tokens_t.c.email)
         .where(tokens_t.c.token_hash == token_hash, tokens_t.c.purpose == purpose,
                tokens_t.c.used_at.is_(None), tokens_t.c.expires_at > now))
    if user_id is not None:
        q = q.where(tokens_t.c.user_id == user_id)
    row = (await conn.execute(q)).first()
    if row is None:
        raise bad_input(BAD_TOKEN, "token")
    claimed = await conn.execute(update(tokens_t).where(tokens_t.c.id == row.id, tokens_t.c.used_at.is_(None))
                                 .values(used_at=now))
    if claimed.rowcount != 1:
        raise bad_input(BAD_TOKEN, "token")
    return row
