"""The MySQL schema the notify tests share: each test finds it as a new database
(no rows, auto-increment counters at 1), and it is not emptied under a connection
of an earlier test."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from notify_db import Db, MysqlSchema, _empty_all, mysql_url
from notify_testkit import add_board, add_user
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

from models.db import make_engine
from models.tables import AccountToken, utcnow

pytestmark = pytest.mark.mysql


async def add_token(db: Db, user_id: str, email: str) -> int:
    token = AccountToken(token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(), purpose="verify",
                         user_id=user_id, email=email, created_at=utcnow(), expires_at=utcnow())
    async with db.session_factory() as session:
        session.add(token)
        await session.commit()
        assert token.id is not None
        return token.id


async def counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
                for t in SQLModel.metadata.sorted_tables}


async def test_the_next_test_finds_no_rows_and_counters_at_one(mysql_schema: MysqlSchema) -> None:
    url = mysql_url()
    assert url is not None
    first = await mysql_schema.open(url)
    try:
        user = await add_user(first)
        await add_board(first, user)
        await add_token(first, user.id, user.email)
        assert await add_token(first, user.id, user.email) == 2
    finally:
        await first.engine.dispose()
    second = await mysql_schema.open(url)
    try:
        assert second.url == first.url
        assert set((await counts(second.engine)).values()) == {0}
        user = await add_user(second)
        assert await add_token(second, user.id, user.email) == 1
    finally:
        await second.engine.dispose()


async def test_not_emptied_while_another_connection_is_on_it(mysql_schema: MysqlSchema) -> None:
    url = mysql_url()
    assert url is not None
    db = await mysql_schema.open(url)
    cleaner = make_engine(db.url, pool_size=1)
    try:
        await add_user(db)
        assert not await _empty_all(cleaner, wait=0.2)  # the pool of db.engine is still connected
        assert (await counts(cleaner))["users"] == 1
        await db.engine.dispose()
        assert await _empty_all(cleaner)
        assert (await counts(cleaner))["users"] == 0
    finally:
        await cleaner.dispose()
        await db.engine.dispose()
