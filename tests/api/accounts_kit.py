"""Helpers of the account tests: the account outbox read back as the mails it holds."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select, update

from models.db import make_engine
from models.tables import AccountMessage, AccountToken, User
from tests.api.helpers import runtime_of
from tests.conftest import Api

messages_t = AccountMessage.__table__  # type: ignore[attr-defined]
tokens_t = AccountToken.__table__  # type: ignore[attr-defined]
users_t = User.__table__  # type: ignore[attr-defined]

VERIFY_EMAIL = "mutation($t: String!) { verifyEmail(token: $t) { emailVerified user { id email } } }"
REQUEST_VERIFICATION = "mutation { requestEmailVerification }"
REQUEST_RESET = "mutation($e: String!) { requestPasswordReset(email: $e) }"
RESET = """mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) {
  accessToken refreshToken user { id email } } }"""
CHANGE = """mutation($c: String!, $p: String!) { changePassword(currentPassword: $c, newPassword: $p) {
  accessToken refreshToken user { id } } }"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }"
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }"
VIEWER = "query { viewer { emailVerified user { id email } notificationSettings { phoneVerified } } }"


async def mails_to(api: Api, email: str, detail_type: str | None = None, *,
                   database_url: str | None = None) -> list[dict[str, Any]]:
    """The account messages addressed to `email`, oldest first (payloads).  A live
    server's Api has no app: give its database's URL."""
    if database_url is not None:
        engine = make_engine(database_url)
        try:
            return await _mails(engine, email, detail_type)
        finally:
            await engine.dispose()
    return await _mails(runtime_of(api.app).engine, email, detail_type)


async def _mails(engine: Any, email: str, detail_type: str | None) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(messages_t.c.payload, messages_t.c.detail_type)
                                   .order_by(messages_t.c.created_at))).all()
    out = []
    for payload, kind in rows:
        if (payload.get("to") or {}).get("email") == email and (detail_type is None or kind == detail_type):
            out.append(payload)
    return out


def token_of(mail: dict[str, Any]) -> str:
    return parse_qs(urlparse(mail["link"]).query)["token"][0]


async def verify(api: Api, user: dict[str, Any]) -> None:
    """Follow the verification link mailed at sign-up."""
    mails = await mails_to(api, user["email"], "AccountEmailVerification")
    await api.ok(VERIFY_EMAIL, {"t": token_of(mails[-1])}, user["token"])


async def expire_tokens(api: Api, user_id: str) -> None:
    from datetime import UTC, datetime, timedelta

    engine = runtime_of(api.app).engine
    async with engine.begin() as conn:
        await conn.execute(update(tokens_t).where(tokens_t.c.user_id == user_id)
                           .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
