"""Readiness is the database alone (issue 13 item 7): a Redis outage must not
take healthy tasks out of the load balancer, since live streams already fall
back to polling the table.  /metrics says whether Redis answers."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from taskboard.app import create_app
from taskboard.settings import Settings
from tests.conftest import REDIS_URL, TEST_SECRET, test_settings


def closed_port() -> int:
    """A local port nothing listens on: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def gauge(metrics: str, name: str) -> str | None:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return f"{float(line.split()[1]):g}"  # prometheus_client writes 1 as 1.0
    return None


async def test_redis_down_is_ready_and_metrics_say_redis_is_down(database_url: str) -> None:
    settings = test_settings(database_url, redis_url=f"redis://127.0.0.1:{closed_port()}/5")
    async with serving(settings) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok"}
        metrics = (await client.get("/metrics")).text
        assert gauge(metrics, "taskboard_redis_up") == "0", metrics


@pytest.mark.redis
async def test_redis_up_shows_in_metrics(database_url: str) -> None:
    if not REDIS_URL:
        pytest.skip("TASKBOARD_TEST_REDIS_URL not set")
    async with serving(test_settings(database_url, redis_url=REDIS_URL)) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert gauge((await client.get("/metrics")).text, "taskboard_redis_up") == "1"


async def test_no_redis_configured_has_no_redis_gauge(database_url: str) -> None:
    async with serving(test_settings(database_url)) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert gauge((await client.get("/metrics")).text, "taskboard_redis_up") is None


def unreachable_database(database_url: str, tmp_path: Any) -> str:
    if database_url.startswith("sqlite"):
        return "sqlite+aiosqlite:///" + str(tmp_path / "no-such-dir" / "taskboard.db")
    return f"mysql+asyncmy://root@127.0.0.1:{closed_port()}/taskboard"


async def test_database_down_is_not_ready(database_url: str, tmp_path: Any) -> None:
    # Production settings: no migration at start, so the app starts without its database.
    settings = Settings(env="production", database_url=unreachable_database(database_url, tmp_path),
                        jwt_secret=TEST_SECRET, aws="off", redis_url=None)
    async with serving(settings) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable" and body["checks"]["database"] != "ok"
        assert "Traceback" not in ready.text
