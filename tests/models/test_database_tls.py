"""TLS to MySQL: what make_engine hands asyncmy, and when the settings require it."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import certifi
import pytest
from pydantic import ValidationError
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import DatabaseTls, make_engine, make_read_engine
from taskboard.settings import Settings
from tests.conftest import TEST_SECRET

NOWHERE = "mysql+asyncmy://u:p@127.0.0.1:9/db"


class _Stop(Exception):
    pass


async def connect_params(engine: AsyncEngine) -> dict[str, Any]:
    """The keyword arguments the engine gives the driver's connect(), caught
    before any connection is made."""
    seen: dict[str, Any] = {}

    @event.listens_for(engine.sync_engine, "do_connect")
    def _catch(_dialect: Any, _rec: Any, _args: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)
        raise _Stop

    with pytest.raises(_Stop):
        async with engine.connect():
            pass
    await engine.dispose()
    return seen


async def test_required_tls_hands_asyncmy_a_verifying_context() -> None:
    tls = DatabaseTls(mode="require", ca_file=certifi.where())
    for engine in (make_engine(NOWHERE, tls=tls), make_read_engine(NOWHERE, tls=tls)):
        assert engine is not None
        context = (await connect_params(engine))["ssl"]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
        assert context.get_ca_certs(), "the CA bundle was not loaded"


async def test_tls_off_passes_no_ssl() -> None:
    for tls in (None, DatabaseTls(mode="off", ca_file=certifi.where())):
        assert "ssl" not in await connect_params(make_engine(NOWHERE, tls=tls))


@pytest.mark.skipif(not os.environ.get("TASKBOARD_TEST_MYSQL_URL"), reason="needs TASKBOARD_TEST_MYSQL_URL")
async def test_required_tls_never_falls_back_to_plain_text() -> None:
    """The test server speaks no TLS: a required-TLS engine must fail to connect
    rather than carry on unencrypted."""
    url = os.environ["TASKBOARD_TEST_MYSQL_URL"]
    plain = make_engine(url, pool_size=1)
    async with plain.connect() as conn:
        have_ssl = (await conn.execute(text("SHOW VARIABLES LIKE 'have_ssl'"))).first()
    await plain.dispose()
    if have_ssl is not None and have_ssl[1] == "YES":
        pytest.skip("this server speaks TLS (with a certificate certifi does not know)")
    engine = make_engine(url, pool_size=1, tls=DatabaseTls(mode="require", ca_file=certifi.where()))
    try:
        with pytest.raises(OperationalError, match="SSL"):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    finally:
        await engine.dispose()


def _production(**values: Any) -> Settings:
    return Settings(env="production", jwt_secret=TEST_SECRET, aws="aws", **values)


def test_production_with_mysql_requires_tls_by_default() -> None:
    tls = _production(database_url="mysql+asyncmy://u:p@db/taskboard").database_tls_config
    assert tls.mode == "require"


def test_tls_off_only_when_said_or_not_production() -> None:
    mysql = "mysql+asyncmy://u:p@db/taskboard"
    assert _production(database_url=mysql, database_tls="off").database_tls_config.mode == "off"
    assert Settings(env="development", database_url=mysql).database_tls_config.mode == "off"
    assert _production(database_url="sqlite+aiosqlite:///x.db").database_tls_config.mode == "off"
    assert Settings(env="development", database_url=mysql, database_tls="require").database_tls_config.mode == "require"


def test_production_refuses_a_missing_ca_bundle(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="TASKBOARD_DATABASE_CA_FILE"):
        _production(database_url="mysql+asyncmy://u:p@db/taskboard", database_ca_file=str(tmp_path / "none.pem"))
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(Path(certifi.where()).read_text())
    tls = _production(database_url="mysql+asyncmy://u:p@db/taskboard", database_ca_file=str(bundle)).database_tls_config
    assert tls == DatabaseTls(mode="require", ca_file=str(bundle))
