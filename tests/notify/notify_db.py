"""The notify tests' databases: a SQLite file per test; on MySQL one database per
session (per worker) whose tables are built once and emptied for each test, since
building them costs seconds and emptying them milliseconds."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import SQLModel

from models.db import WriteGate, make_engine, make_session_factory


@dataclass
class Db:
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    is_mysql: bool
    gate: WriteGate
    url: str


async def _create_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)


async def _sqlite_db(tmp_path: Any) -> Db:
    url = "sqlite+aiosqlite:///" + str(tmp_path / "taskboard.db")
    engine = make_engine(url)
    await _create_all(engine)
    return Db(engine, make_session_factory(engine), False, WriteGate(sqlite=True), url)


def mysql_url() -> str | None:
    url = os.environ.get("TASKBOARD_TEST_MYSQL_URL")
    if not url:
        if os.environ.get("TASKBOARD_TEST_REQUIRE_MYSQL") == "1":
            pytest.fail("TASKBOARD_TEST_REQUIRE_MYSQL=1 but TASKBOARD_TEST_MYSQL_URL is not set")
        pytest.skip("TASKBOARD_TEST_MYSQL_URL not set")
    return url


class MysqlDatabases:
    """Creates uniquely named databases on the configured server, drops them after.
    With the session's schema, the first database a test opens is that one, emptied."""

    def __init__(self, url: str, schema: MysqlSchema | None = None) -> None:
        self.url = url
        self.names: list[str] = []
        self.schema = schema

    async def create(self) -> str:
        name = f"tb_notify_{uuid.uuid4().hex[:12]}"
        admin = make_engine(self.url, pool_size=1)
        try:
            async with admin.begin() as conn:
                await conn.execute(text(f"CREATE DATABASE `{name}`"))
        except Exception as exc:
            if os.environ.get("TASKBOARD_TEST_REQUIRE_MYSQL") == "1":
                pytest.fail(f"MySQL unreachable at {self.url}: {exc}")
            pytest.skip(f"MySQL unreachable: {exc}")
        finally:
            await admin.dispose()
        self.names.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not self.names:
            return
        admin = make_engine(self.url, pool_size=1)
        try:
            async with admin.begin() as conn:
                for name in self.names:
                    await conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        finally:
            await admin.dispose()


def _mysql_db(url: str) -> Db:
    engine = make_engine(url, pool_size=5)
    return Db(engine, make_session_factory(engine), True, WriteGate(sqlite=False), url)


async def _alone(conn: AsyncConnection, wait: float = 3.0) -> bool:
    """Whether no other connection is on this database (a closed one can linger a moment)."""
    deadline = time.monotonic() + wait
    query = text("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()")
    while (await conn.execute(query)).scalar_one():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _empty_all(engine: AsyncEngine, wait: float = 3.0) -> bool:
    """Empties every table, auto-increment counters included, as a new database has
    them; False (and nothing emptied) while another connection is on the database."""
    async with engine.connect() as conn:
        if not await _alone(conn, wait):
            return False
        await conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        try:
            for table in reversed(SQLModel.metadata.sorted_tables):
                await conn.execute(table.delete())
            await conn.commit()
            for table in SQLModel.metadata.sorted_tables:
                if table.autoincrement_column is not None:
                    await conn.execute(text(f"ALTER TABLE `{table.name}` AUTO_INCREMENT = 1"))
        finally:
            await conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    return True


class MysqlSchema:
    """The session's database with every table, built at its first use. A test gets it
    emptied; if a connection of an earlier test is still on it, the schema moves to a
    new database (the old one is dropped with the session)."""

    def __init__(self) -> None:
        self._databases: MysqlDatabases | None = None
        self._url: str | None = None

    async def open(self, server_url: str) -> Db:
        if self._databases is None:
            self._databases = MysqlDatabases(server_url)
        if self._url is not None:
            db = _mysql_db(self._url)
            if await _empty_all(db.engine):
                return db
            await db.engine.dispose()
        url = await self._databases.create()
        db = _mysql_db(url)
        await _create_all(db.engine)
        self._url = url
        return db

    async def drop(self) -> None:
        if self._databases is not None:
            await self._databases.drop_all()


async def open_mysql_db(databases: MysqlDatabases) -> Db:
    """The session's schema, emptied, for the first database a test opens; a new
    database with every table built for any other."""
    schema, databases.schema = databases.schema, None
    if schema is not None:
        return await schema.open(databases.url)
    db = _mysql_db(await databases.create())
    await _create_all(db.engine)
    return db
