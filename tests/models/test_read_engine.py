"""The MySQL read engine (models.db.make_read_engine) reads in autocommit: one round
trip a read.  SQLAlchemy calls the driver's rollback() when a connection goes back to
the pool, and asyncmy sends ROLLBACK over the wire even in autocommit, so without
`skip_autocommit_rollback` every read cost a second round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models.db import make_read_engine
from tests.conftest import MYSQL_URL, REQUIRE_MYSQL

pytestmark = pytest.mark.mysql


async def test_a_read_sends_no_rollback() -> None:
    if not MYSQL_URL:
        if REQUIRE_MYSQL:
            pytest.fail("TASKBOARD_TEST_REQUIRE_MYSQL=1 but TASKBOARD_TEST_MYSQL_URL is not set")
        pytest.skip("needs TASKBOARD_TEST_MYSQL_URL")
    engine = make_read_engine(MYSQL_URL, pool_size=1)
    assert engine is not None

    async def rollbacks() -> int:
        async with engine.connect() as conn:  # the pool's one connection: its own session counters
            row = (await conn.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'"))).one()
            return int(row[1])

    try:
        before = await rollbacks()
        for _ in range(20):
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert await rollbacks() == before
    finally:
        await engine.dispose()
