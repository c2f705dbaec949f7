"""One fixture set for the suite.

The database suites run on SQLite always and on MySQL when TASKBOARD_TEST_MYSQL_URL
is set; with TASKBOARD_TEST_REQUIRE_MYSQL=1 (CI) an unreachable MySQL fails the
run instead of skipping.  Same for Redis with TASKBOARD_TEST_REDIS_URL and
TASKBOARD_TEST_REQUIRE_REDIS."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from models.db import make_engine
from taskboard.app import create_app
from taskboard.settings import Settings

MYSQL_URL = os.environ.get("TASKBOARD_TEST_MYSQL_URL")
REQUIRE_MYSQL = os.environ.get("TASKBOARD_TEST_REQUIRE_MYSQL") == "1"
REDIS_URL = os.environ.get("TASKBOARD_TEST_REDIS_URL")
REQUIRE_REDIS = os.environ.get("TASKBOARD_TEST_REQUIRE_REDIS") == "1"

TEST_SECRET = "test-secret-" + "x" * 40


async def reset_mysql(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in ("account_messages", "message_usage", "phone_codes", "account_tokens",
                          "board_invitations", "board_events", "task_labels", "labels", "comments", "tasks", "board_members",
                          "refresh_tokens", "boards", "users", "alembic_version"):
                await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
            await conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    finally:
        await engine.dispose()


def backends() -> list[Any]:
    params: list[Any] = ["sqlite"]
    if MYSQL_URL or REQUIRE_MYSQL:
        params.append(pytest.param("mysql", marks=pytest.mark.mysql))
    return params


_mysql_ready = False


@pytest.fixture(scope="session", params=backends())
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    global _mysql_ready
    if request.param == "sqlite":
        return "sqlite+aiosqlite:///" + str(tmp_path_factory.mktemp("db") / "taskboard.db")
    if not MYSQL_URL:
        pytest.fail("TASKBOARD_TEST_REQUIRE_MYSQL=1 but TASKBOARD_TEST_MYSQL_URL is not set")
    if not _mysql_ready:
        try:
            await reset_mysql(MYSQL_URL)
        except Exception as exc:
            if REQUIRE_MYSQL:
                pytest.fail(f"MySQL at {MYSQL_URL} is required and unreachable: {exc}")
            pytest.skip(f"MySQL unreachable: {exc}")
        _mysql_ready = True
    return MYSQL_URL


def test_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "test",
        "database_url": database_url,
        "jwt_secret": TEST_SECRET,
        "aws": "off",
        # argon2id still, at a cost that keeps hundreds of sign-ups fast.
        "argon2_memory_kib": 1024,
        "argon2_time_cost": 1,
        "login_failures_per_ip": 10_000,
    }
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@dataclass
class Api:
    client: httpx.AsyncClient
    app: Any

    async def post(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                   **kw: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                      headers=headers, **kw)

    async def gql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
                  ) -> dict[str, Any]:
        r = await self.post(query, variables, token)
        body: dict[str, Any] = r.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
                 ) -> dict[str, Any]:
        body = await self.gql(query, variables, token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def signup(self, name: str = "User") -> dict[str, Any]:
        email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
        data = await self.ok(SIGNUP, {"i": {"email": email, "name": name, "password": "password-123"}})
        out: dict[str, Any] = data["signUp"]
        out["email"] = email
        out["token"] = out["accessToken"]
        out["id"] = out["user"]["id"]
        return out


async def mark_verified(app: Any, *user_ids: str) -> None:
    """Confirm users' addresses as the mailed link would (task mail goes only to verified ones)."""
    from sqlalchemy import update

    from models.tables import User, utcnow
    from tests.api.helpers import runtime_of

    users = User.__table__  # type: ignore[attr-defined]
    async with runtime_of(app).engine.begin() as conn:
        await conn.execute(update(users).where(users.c.id.in_(user_ids)).values(email_verified_at=utcnow()))


SIGNUP = """mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken expiresIn user { id email name } } }"""


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[Any]:
    application = create_app(test_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(app: Any) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, app)


def errors_of(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def event_loop_policy() -> asyncio.AbstractEventLoopPolicy:
    return asyncio.DefaultEventLoopPolicy()
