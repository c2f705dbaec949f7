"""Daily mail and SMS quotas per user: past the cap the action happens, the message
is not sent, and the record says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import select, update

from models.tables import AccountMessage, User, utcnow
from taskboard.app import create_app
from tests.api.accounts_kit import REQUEST_RESET, mails_to, verify
from tests.api.helpers import activity, add_member, create_task, new_board, runtime_of
from tests.conftest import Api, test_settings

messages_t = AccountMessage.__table__  # type: ignore[attr-defined]
users_t = User.__table__  # type: ignore[attr-defined]


@asynccontextmanager
async def service(database_url: str, **overrides: Any) -> AsyncIterator[Api]:
    app = create_app(test_settings(database_url, **overrides))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield Api(client, app)


async def test_task_mail_past_the_actors_quota_is_not_sent_and_the_log_says_so(database_url: str) -> None:
    async with service(database_url, mail_quota=3, sms_quota=1) as api:
        owner, member = await api.signup("Owner"), await api.signup("Member")  # the owner's mail 1 of 3
        await verify(api, member)
        async with runtime_of(api.app).engine.begin() as conn:
            await conn.execute(update(users_t).where(users_t.c.id == member["id"]).values(
                phone_number="+821012345678", phone_verified_at=utcnow(), sms_on_task_change=True))
        board = await new_board(api, owner)
        await add_member(api, owner, board, member)  # the "added" mail: 2 of 3
        await create_task(api, owner, board, "One", assigneeId=member["id"])  # mail 3 of 3, SMS 1 of 1
        await create_task(api, owner, board, "Two", assigneeId=member["id"])  # past both caps
        entries = await activity(api, owner, board)
        assert [e["kind"] for e in entries] == ["TASK_CREATED", "TASK_CREATED", "MEMBER_ADDED"]
        assert "not sent: daily quota reached" in entries[0]["message"]
        assert "1 mail and 1 SMS" in entries[0]["message"]
        assert "quota" not in entries[1]["message"]
        # The member's own actions have their own quota.
        task = await create_task(api, member, board, "Mine")
        assert task["title"] == "Mine"


async def test_account_mail_past_the_quota_is_recorded_not_sent(database_url: str) -> None:
    async with service(database_url, mail_quota=2) as api:
        user = await api.signup("Rita")  # the verification mail: 1 of 2
        for _ in range(3):
            assert (await api.ok(REQUEST_RESET, {"e": user["email"]}))["requestPasswordReset"] is True
        mails = await mails_to(api, user["email"])
        assert [("link" in m, m.get("notSent")) for m in mails] == [
            (True, None), (True, None), (False, "daily quota reached"), (False, "daily quota reached")]
        async with runtime_of(api.app).engine.connect() as conn:
            pending = (await conn.execute(select(messages_t.c.pending).where(messages_t.c.user_id == user["id"])
                                          .order_by(messages_t.c.created_at))).scalars().all()
        assert [bool(p) for p in pending] == [True, True, False, False]
