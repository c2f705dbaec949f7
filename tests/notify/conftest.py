"""Shared fixtures of the notify tests: moto's real server (over HTTP), dummy AWS
credentials, freshly provisioned AWS resources per test, a SQLite (and, when
configured, MySQL) database with empty tables per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aioboto3
import pytest
from notify_db import Db, MysqlDatabases, MysqlSchema, _sqlite_db, mysql_url, open_mysql_db
from notify_testkit import _AWS_ENV, _AWS_UNSET, MAIL_FROM, REGION, AwsEnv

from notify.emulator import LocalAWS
from notify.provision import provision


@pytest.fixture(scope="session", autouse=True)
def aws_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*_AWS_ENV, *_AWS_UNSET)}
    os.environ.update(_AWS_ENV)
    for key in _AWS_UNSET:
        os.environ.pop(key, None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def moto(aws_env: None) -> Iterator[LocalAWS]:
    server = LocalAWS()
    yield server
    server.stop()


@pytest.fixture
async def aws(moto: LocalAWS) -> AwsEnv:
    suffix = uuid.uuid4().hex[:10]
    session = aioboto3.Session()
    table, bus, queue = f"activity-{suffix}", f"bus-{suffix}", f"notify-{suffix}"
    res = await provision(
        session,
        endpoint_url=moto.endpoint_url,
        region=REGION,
        table=table,
        bus=bus,
        queue=queue,
        mail_from=MAIL_FROM,
    )
    return AwsEnv(
        endpoint_url=moto.endpoint_url,
        table=table,
        bus=bus,
        queue=queue,
        queue_url=res["queue_url"],
        dlq_url=res["dlq_url"],
        mail_from=MAIL_FROM,
        session=session,
        resources=res,
    )


# --- database -----------------------------------------------------------------


@pytest.fixture
async def sqlite_db(tmp_path: Any) -> AsyncIterator[Db]:
    db = await _sqlite_db(tmp_path)
    yield db
    await db.engine.dispose()


@pytest.fixture(scope="session")
async def mysql_schema() -> AsyncIterator[MysqlSchema]:
    """Built at the first MySQL test that opens a database (none on SQLite alone)."""
    schema = MysqlSchema()
    yield schema
    await schema.drop()


@pytest.fixture
async def mysql_databases(mysql_schema: MysqlSchema) -> AsyncIterator[MysqlDatabases]:
    url = mysql_url()
    assert url is not None
    databases = MysqlDatabases(url, mysql_schema)
    yield databases
    await databases.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
async def db(request: pytest.FixtureRequest, tmp_path: Any, mysql_schema: MysqlSchema) -> AsyncIterator[Db]:
    if request.param == "sqlite":
        database = await _sqlite_db(tmp_path)
        yield database
        await database.engine.dispose()
        return
    url = mysql_url()
    assert url is not None
    databases = MysqlDatabases(url, mysql_schema)
    try:
        database = await open_mysql_db(databases)
        yield database
        await database.engine.dispose()
    finally:
        await databases.drop_all()


# --- data ---------------------------------------------------------------------
