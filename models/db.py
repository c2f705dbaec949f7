"""Engine and session factory for SQLite (aiosqlite) and MySQL (asyncmy)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, pool_size: int = 20, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        in_memory = ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:")
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 30}}
        if not in_memory:
            # A pool of file connections: each connection is a thread in aiosqlite.
            kwargs["pool_size"] = 5
        else:
            kwargs["poolclass"] = NullPool
        engine = create_async_engine(url, echo=echo, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling defers BEGIN until the first write,
            # which breaks SELECT-then-UPDATE isolation; we issue BEGIN ourselves.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue instead of
            # one failing with "database is locked" when it upgrades a read lock.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        pool_pre_ping=True,
        isolation_level="READ COMMITTED",
    )


def make_read_engine(url: str, *, pool_size: int = 20) -> AsyncEngine | None:
    """MySQL connections in autocommit for single-statement reads: each read is one
    round trip, with no BEGIN and no ROLLBACK when the connection goes back to the
    pool.  (READ COMMITTED already gives every statement its own snapshot.)  None on
    SQLite, where the one engine serves both."""
    if is_sqlite(url):
        return None
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                               pool_pre_ping=False, pool_reset_on_return=None, isolation_level="AUTOCOMMIT")


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class WriteGate:
    """SQLite allows one writer at a time: queue writers in-process rather than spin
    on the file lock.  On MySQL row locks do this job and the gate is open.

    Either way it counts the write transactions of this process in flight
    (`writers`) and calls `on_idle` when the last one leaves: the HTTP endpoint
    holds queries back while writers may be holding row locks (taskboard.admission)."""

    def __init__(self, sqlite: bool) -> None:
        self._lock = asyncio.Lock() if sqlite else None
        self.writers = 0
        self.on_idle: Callable[[], None] | None = None

    async def __aenter__(self) -> None:
        self.writers += 1
        if self._lock is not None:
            try:
                await self._lock.acquire()
            except BaseException:
                self._leave()
                raise

    async def __aexit__(self, *exc: object) -> None:
        if self._lock is not None:
            self._lock.release()
        self._leave()

    def _leave(self) -> None:
        self.writers -= 1
        if self.writers == 0 and self.on_idle is not None:
            self.on_idle()
