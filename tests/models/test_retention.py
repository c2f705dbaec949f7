"""Retention (`taskboard prune`, models.retention) on SQLite and MySQL: what ages
out goes, in batches; an undelivered event, a board's newest event and the
tokens a live session still needs stay."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.tokens import hash_refresh
from models.ids import new_id
from models.retention import prune
from models.tables import Board, BoardEventRow, RefreshToken, User, utcnow
from tests.api.helpers import runtime_of
from tests.conftest import Api

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]
boards_t = Board.__table__  # type: ignore[attr-defined]
users_t = User.__table__  # type: ignore[attr-defined]
tokens_t = RefreshToken.__table__  # type: ignore[attr-defined]

REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
RETENTION = timedelta(days=30)


def engine_of(api: Api) -> AsyncEngine:
    engine: AsyncEngine = runtime_of(api.app).engine
    return engine


async def new_board(engine: AsyncEngine, now: datetime) -> tuple[str, str]:
    user, board = new_id("usr"), new_id("brd")
    async with engine.begin() as conn:
        await conn.execute(insert(users_t).values(
            id=user, email=f"{user}@example.com", name="R", password_hash="x", created_at=now,
            email_on_task_change=True, email_deadline_reminders=True, sms_on_task_change=False))
        await conn.execute(insert(boards_t).values(id=board, name="R", created_at=now, created_by=user, event_seq=0))
    return user, board


async def add_events(engine: AsyncEngine, board: str, actor: str, specs: list[tuple[datetime, bool]]) -> None:
    """One event per (created_at, delivered), seq 1, 2, ... in order."""
    async with engine.begin() as conn:
        first = (await conn.execute(select(boards_t.c.event_seq).where(boards_t.c.id == board))).scalar_one() + 1
        rows = []
        for seq, (at, delivered) in enumerate(specs, start=first):
            rows.append({
                "id": str(uuid.uuid4()), "board_id": board, "seq": seq, "kind": "TASK_CREATED",
                "activity_kind": "TASK_CREATED", "detail_type": "TaskCreated", "task_id": None, "actor_id": actor,
                "actor_email": "r@example.com", "payload": {"n": seq}, "created_at": at, "pending": not delivered,
                "log_delivered_at": at if delivered else None, "bus_delivered_at": at if delivered else None,
                "attempts": 1, "last_error": None, "next_attempt_at": None,
            })
        await conn.execute(insert(events_t), rows)
        await conn.execute(update(boards_t).where(boards_t.c.id == board).values(event_seq=first + len(specs) - 1))


async def seqs(engine: AsyncEngine, board: str) -> list[int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(events_t.c.seq).where(events_t.c.board_id == board).order_by(events_t.c.seq))
        return [r[0] for r in rows]


async def test_events_age_out_only_when_delivered_and_never_the_newest(api: Api) -> None:
    engine = engine_of(api)
    now = utcnow()
    old, recent = now - RETENTION - timedelta(hours=1), now - RETENTION + timedelta(hours=1)
    actor, mixed = await new_board(engine, now)
    # 1, 2 old and delivered; 3 old and undelivered; 4 old and delivered after it; 5 recent.
    await add_events(engine, mixed, actor, [(old, True), (old, True), (old, False), (old, True), (recent, True)])
    _, newest_old = await new_board(engine, now)
    await add_events(engine, newest_old, actor, [(old, True), (old, True)])
    _, fresh = await new_board(engine, now)
    await add_events(engine, fresh, actor, [(recent, True), (now, True)])
    _, stuck = await new_board(engine, now)
    await add_events(engine, stuck, actor, [(old, False), (old, False)])

    result = await prune(engine, now=now, event_retention=RETENTION)

    # Replay stays contiguous: nothing after an undelivered event goes.
    assert await seqs(engine, mixed) == [3, 4, 5]
    assert await seqs(engine, newest_old) == [2]
    assert await seqs(engine, fresh) == [1, 2]
    assert await seqs(engine, stuck) == [1, 2]
    assert result.events >= 3  # other tests' boards may have aged rows too: never fewer

    again = await prune(engine, now=now, event_retention=RETENTION)
    assert await seqs(engine, mixed) == [3, 4, 5] and again.events == 0

    # Once the stuck event is delivered, what it held back goes on the next run.
    async with engine.begin() as conn:
        await conn.execute(update(events_t).where(events_t.c.board_id == mixed, events_t.c.seq == 3)
                           .values(pending=False, log_delivered_at=now, bus_delivered_at=now))
    await prune(engine, now=now, event_retention=RETENTION)
    assert await seqs(engine, mixed) == [5]


async def test_events_go_in_bounded_batches(api: Api) -> None:
    engine = engine_of(api)
    now = utcnow()
    old = now - RETENTION - timedelta(days=1)
    actor, board = await new_board(engine, now)
    await add_events(engine, board, actor, [(old, True)] * 25 + [(now, True)])
    _, other = await new_board(engine, now)
    await add_events(engine, other, actor, [(old, True)] * 4 + [(now, True)])

    result = await prune(engine, now=now, event_retention=RETENTION, batch_size=10)

    assert await seqs(engine, board) == [26] and await seqs(engine, other) == [5]
    assert result.events >= 29
    assert result.largest_batch <= 10 and result.batches >= 3


async def refresh(api: Api, token: str) -> dict[str, Any]:
    return await api.gql(REFRESH, {"t": token})


async def test_tokens_expired_or_long_revoked_go_and_live_sessions_keep_working(api: Api) -> None:
    engine = engine_of(api)
    now = utcnow()
    live = await api.signup("Live")
    first = live["refreshToken"]
    body = await refresh(api, first)
    assert "errors" not in body, body
    second = body["data"]["refreshToken"]["refreshToken"]  # `first` is now used: kept for reuse detection

    expired = await api.signup("Gone")
    revoked_long_ago = await api.signup("Out")
    revoked_lately = await api.signup("Left")
    async with engine.begin() as conn:
        await conn.execute(update(tokens_t).where(tokens_t.c.token_hash == hash_refresh(expired["refreshToken"]))
                           .values(expires_at=now - timedelta(seconds=1)))
        await conn.execute(update(tokens_t)
                           .where(tokens_t.c.token_hash == hash_refresh(revoked_long_ago["refreshToken"]))
                           .values(revoked_at=now - timedelta(days=8)))
        await conn.execute(update(tokens_t)
                           .where(tokens_t.c.token_hash == hash_refresh(revoked_lately["refreshToken"]))
                           .values(revoked_at=now - timedelta(days=1)))

    result = await prune(engine, now=now, event_retention=RETENTION, token_grace=timedelta(days=7))

    async with engine.connect() as conn:
        left = {r[0] for r in await conn.execute(select(tokens_t.c.token_hash).where(tokens_t.c.token_hash.in_(
            [hash_refresh(t) for t in (first, second, expired["refreshToken"], revoked_long_ago["refreshToken"],
                                       revoked_lately["refreshToken"])])))}
    assert left == {hash_refresh(first), hash_refresh(second), hash_refresh(revoked_lately["refreshToken"])}
    assert result.refresh_tokens >= 2

    # The live session goes on; its used token still gives the replay away, and
    # that still ends the session.
    body = await refresh(api, second)
    assert "errors" not in body, body
    third = body["data"]["refreshToken"]["refreshToken"]
    assert (await refresh(api, first))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await refresh(api, third))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_expired_used_token_of_a_live_session_goes(api: Api) -> None:
    # A rotation chain grows one row per refresh: rows that expired go even while
    # the session lives, or a session refreshed every 15 minutes grows without end.
    engine = engine_of(api)
    now = utcnow()
    user = await api.signup("Chain")
    first = user["refreshToken"]
    second = (await refresh(api, first))["data"]["refreshToken"]["refreshToken"]
    async with engine.begin() as conn:
        await conn.execute(update(tokens_t).where(tokens_t.c.token_hash == hash_refresh(first))
                           .values(expires_at=now - timedelta(seconds=1)))
    await prune(engine, now=now, event_retention=RETENTION)
    async with engine.connect() as conn:
        left = {r[0] for r in await conn.execute(select(tokens_t.c.token_hash).where(
            tokens_t.c.token_hash.in_([hash_refresh(first), hash_refresh(second)])))}
    assert left == {hash_refresh(second)}
    assert "errors" not in await refresh(api, second)


async def test_account_rows_age_out_but_undelivered_mail_stays(api: Api) -> None:
    from models.tables import AccountMessage, AccountToken, BoardInvitation, MessageUsage, PhoneCode

    engine = engine_of(api)
    now = utcnow()
    old, recent = now - RETENTION - timedelta(days=1), now - timedelta(days=1)
    user, board = await new_board(engine, now)
    msg_t, tok_t = AccountMessage.__table__, AccountToken.__table__  # type: ignore[attr-defined]
    inv_t, code_t = BoardInvitation.__table__, PhoneCode.__table__  # type: ignore[attr-defined]
    usage_t = MessageUsage.__table__  # type: ignore[attr-defined]

    def message(mid: str, at: datetime, pending: bool) -> dict[str, Any]:
        return {"id": mid, "user_id": user, "detail_type": "AccountEmailVerification", "payload": {},
                "created_at": at, "pending": pending, "attempts": 1, "next_attempt_at": None,
                "delivered_at": None if pending else at, "last_error": None}

    def invitation(iid: str, expires: datetime, closed: datetime | None) -> dict[str, Any]:
        return {"id": iid, "board_id": board, "email": f"{iid}@example.com", "role": "MEMBER", "invited_by": user,
                "token_hash": uuid.uuid4().hex * 2, "status": "OPEN" if closed is None else "DECLINED",
                "created_at": old, "expires_at": expires, "closed_at": closed}

    async with engine.begin() as conn:
        await conn.execute(insert(msg_t), [message("m-old-sent", old, False), message("m-old-pending", old, True),
                                           message("m-new-sent", recent, False)])
        await conn.execute(insert(tok_t), [
            {"token_hash": f"{i:064x}", "purpose": "verify", "user_id": user, "email": "a@example.com",
             "created_at": old, "expires_at": at, "used_at": None}
            for i, at in ((1, now - timedelta(seconds=1)), (2, now + timedelta(hours=1)))])
        await conn.execute(insert(inv_t), [invitation("inv-closed", now + timedelta(days=1), old),
                                           invitation("inv-expired", old, None),
                                           invitation("inv-open", now + timedelta(days=1), None)])
        await conn.execute(insert(code_t).values(user_id=user, phone_number="+15550100", code_hash="x" * 64,
                                                 expires_at=now - timedelta(minutes=1), attempts=0))
        await conn.execute(insert(usage_t), [{"user_id": user, "day": (now - timedelta(days=d)).date(),
                                              "channel": "mail", "count": 1} for d in (0, 5)])

    result = await prune(engine, now=now, event_retention=RETENTION)

    async with engine.connect() as conn:
        messages = {r[0] for r in await conn.execute(select(msg_t.c.id).where(msg_t.c.user_id == user))}
        tokens = {r[0] for r in await conn.execute(select(tok_t.c.token_hash).where(tok_t.c.user_id == user))}
        invitations = {r[0] for r in await conn.execute(select(inv_t.c.id).where(inv_t.c.board_id == board))}
        codes = (await conn.execute(select(code_t.c.user_id).where(code_t.c.user_id == user))).all()
        days = [r[0] for r in await conn.execute(select(usage_t.c.day).where(usage_t.c.user_id == user))]
    assert messages == {"m-old-pending", "m-new-sent"}
    assert tokens == {f"{2:064x}"}
    assert invitations == {"inv-open"}
    assert codes == []
    assert days == [now.date()]
    assert result.account_rows >= 6
