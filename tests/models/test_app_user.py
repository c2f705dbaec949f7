"""`taskboard migrate` with TASKBOARD_APP_DB_PASSWORD: the service's MySQL user
reads and writes rows and can do nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from models.app_user import ensure_app_user
from models.db import make_engine
from models.tables import User, utcnow
from tests.conftest import reset_mysql

MYSQL_URL = os.environ.get("TASKBOARD_TEST_MYSQL_URL")
pytestmark = [pytest.mark.mysql,
              pytest.mark.skipif(not MYSQL_URL, reason="needs TASKBOARD_TEST_MYSQL_URL (MariaDB/MySQL)")]
TASKBOARD = str(Path(sys.executable).parent / "taskboard")


@pytest.fixture
async def app_user() -> AsyncIterator[str]:
    assert MYSQL_URL
    # Users are server-wide: a name of its own, dropped after.
    user = f"tb_app_{uuid.uuid4().hex[:12]}"
    await reset_mysql(MYSQL_URL)
    yield user
    engine = make_engine(MYSQL_URL, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
    await engine.dispose()
    await reset_mysql(MYSQL_URL)


def _as(user: str, password: str) -> str:
    assert MYSQL_URL
    return make_url(MYSQL_URL).set(username=user, password=password).render_as_string(hide_password=False)


def _migrate(password: str, user: str) -> None:
    assert MYSQL_URL
    env = {**os.environ, "TASKBOARD_DATABASE_URL": MYSQL_URL, "TASKBOARD_APP_DB_PASSWORD": password,
           "TASKBOARD_APP_DB_USER": user}
    out = subprocess.run([TASKBOARD, "migrate"], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert password not in out.stdout + out.stderr


async def test_migrate_creates_a_user_that_reads_and_writes_rows_only(app_user: str) -> None:
    _migrate("first-Pass-123", app_user)
    engine = make_engine(_as(app_user, "first-Pass-123"), pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(User).values(
                id="u-app-1", email="app@example.com", name="App", password_hash="x", created_at=utcnow()))
            await conn.execute(text("UPDATE users SET name = 'App 2' WHERE id = 'u-app-1'"))
            assert (await conn.execute(text("SELECT name FROM users WHERE id = 'u-app-1'"))).scalar() == "App 2"
            await conn.execute(text("DELETE FROM users WHERE id = 'u-app-1'"))
        for ddl in ("CREATE TABLE intruder (id INT)", "DROP TABLE users", "ALTER TABLE users ADD COLUMN x INT",
                    "CREATE INDEX ix_intruder ON users (name)", "TRUNCATE TABLE users",
                    f"CREATE USER 'x_{app_user}'@'%' IDENTIFIED BY 'pw'",
                    f"GRANT SELECT ON *.* TO '{app_user}'@'%'"):
            with pytest.raises(DBAPIError, match="denied"):
                async with engine.begin() as conn:
                    await conn.execute(text(ddl))
    finally:
        await engine.dispose()


async def test_migrate_again_is_idempotent_and_sets_the_new_password(app_user: str) -> None:
    _migrate("first-Pass-123", app_user)
    _migrate("second-Pass-456", app_user)
    old = make_engine(_as(app_user, "first-Pass-123"), pool_size=1)
    with pytest.raises(DBAPIError, match="denied"):
        async with old.connect():
            pass
    await old.dispose()
    new = make_engine(_as(app_user, "second-Pass-456"), pool_size=1)
    async with new.connect() as conn:
        assert (await conn.execute(text("SELECT COUNT(*) FROM users"))).scalar() == 0
    await new.dispose()


async def test_not_on_sqlite(tmp_path: Path) -> None:
    assert not await ensure_app_user(f"sqlite+aiosqlite:///{tmp_path}/x.db", user="taskboard_app", password="pw")
