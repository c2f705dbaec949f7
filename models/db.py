"""Engine and session factory for SQLite (aiosqlite) and MySQL (asyncmy)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def is_mysql(url: str) -> bool:
    return url.startswith("mysql")


@dataclass(frozen=True)
class DatabaseTls:
    """TLS to MySQL: `require` verifies the server's certificate and name against
    `ca_file` (the RDS CA bundle in the image; the system store when None), `off`
    connects in plain text.  SQLite ignores it."""

    mode: Literal["require", "off"] = "off"
    ca_file: str | None = None

    def ssl_context(self) -> ssl.SSLContext | None:
        if self.mode == "off":
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        # create_default_context already verifies; stated because asyncmy's own
        # default for an ssl dict without a CA is CERT_NONE.
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        return context


def mysql_connect_args(tls: DatabaseTls | None) -> dict[str, Any]:
    context = tls.ssl_context() if tls is not None else None
    return {"ssl": context} if context is not None else {}


def make_engine(url: str, *, pool_size: int = 20, echo: bool = False, tls: DatabaseTls | None = None) -> AsyncEngine:
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
        connect_args=mysql_connect_args(tls),
    )


def make_read_engine(url: str, *, pool_size: int = 20, tls: DatabaseTls | None = None) -> AsyncEngine | None:
    """MySQL connections in autocommit for single-statement reads: each read is one
    round trip, with no BEGIN and no ROLLBACK when the connection goes back to the
    pool.  (READ COMMITTED already gives every statement its own snapshot.)  None on
    SQLite, where the one engine serves both."""
    if is_sqlite(url):
        return None
    # skip_autocommit_rollback: without it SQLAlchemy still calls the driver's rollback()
    # when a connection closes, and asyncmy sends ROLLBACK over the wire even in
    # autocommit: a second round trip for every read (tests/models/test_read_engine.py).
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                               pool_pre_ping=False, pool_reset_on_return=None, isolation_level="AUTOCOMMIT",
                               skip_autocommit_rollback=True, connect_args=mysql_connect_args(tls))


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
