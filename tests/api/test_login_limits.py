"""Failed-login limits as the contract words them: counted atomically before the
password is looked at, told in `retryAfterSeconds`, and per client address
behind a trusted load balancer (X-Forwarded-For), never per balancer.

Each test runs on the in-process store and on Redis (TASKBOARD_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from taskboard.app import create_app
from tests.api.helpers import codes, runtime_of
from tests.conftest import REDIS_URL, REQUIRE_REDIS, SIGNUP, test_settings

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
PASSWORD = "password-123"
WINDOW = 600
PER_EMAIL = 5
PER_IP = 3


def fresh_ip() -> str:
    """An address no earlier run has counted (Redis keeps counts for the window)."""
    n = uuid.uuid4().int
    return f"100.{64 + n % 64}.{(n >> 8) % 256}.{(n >> 16) % 254 + 1}"


def fresh_alb() -> str:
    """A peer inside the trusted range: the load balancer."""
    n = uuid.uuid4().int
    return f"10.0.{n % 256}.{(n >> 8) % 254 + 1}"


def fresh_email(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limited_app(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[Any]:
    redis_url = None
    if request.param == "redis":
        if not REDIS_URL:
            if REQUIRE_REDIS:
                pytest.fail("TASKBOARD_TEST_REQUIRE_REDIS=1 but TASKBOARD_TEST_REDIS_URL is not set")
            pytest.skip("TASKBOARD_TEST_REDIS_URL not set")
        redis_url = REDIS_URL
    settings = test_settings(database_url, redis_url=redis_url, login_failures_per_email=PER_EMAIL,
                             login_failures_per_ip=PER_IP, login_failure_window=WINDOW,
                             trusted_proxies=["10.0.0.0/16"], response_cache=False)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def client(app: Any, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def login(c: httpx.AsyncClient, email: str, password: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    r = await c.post("/graphql", json={"query": LOGIN, "variables": {"e": email, "p": password}}, headers=headers)
    body: dict[str, Any] = r.json()
    return body


async def sign_up(c: httpx.AsyncClient, email: str) -> None:
    r = await c.post("/graphql", json={"query": SIGNUP,
                                       "variables": {"i": {"email": email, "name": "N", "password": PASSWORD}}})
    assert "errors" not in r.json(), r.json()


# ------------------------------------------------------------ the atomic count

async def test_a_burst_of_parallel_guesses_is_cut_at_the_limit(limited_app: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    passwords = runtime_of(limited_app).services.passwords
    verified = 0
    real_verify = passwords.verify

    async def counting_verify(password_hash: str | None, password: str) -> bool:
        nonlocal verified
        verified += 1
        return bool(await real_verify(password_hash, password))

    email = fresh_email("burst")
    # Each guess from its own address: only the per-email limit can stop them.
    async with client(limited_app, fresh_ip()) as c:
        await sign_up(c, email)
    monkeypatch.setattr(passwords, "verify", counting_verify)

    async def guess(i: int) -> list[str | None]:
        async with client(limited_app, fresh_ip()) as c:
            return codes(await login(c, email, f"wrong-{i}-password"))

    answers = await asyncio.gather(*(guess(i) for i in range(100)))
    assert sum(a == ["UNAUTHENTICATED"] for a in answers) == PER_EMAIL, answers
    assert sum(a == ["RATE_LIMITED"] for a in answers) == 100 - PER_EMAIL, answers
    assert verified == PER_EMAIL


async def test_rate_limited_answers_say_how_long(limited_app: Any) -> None:
    email = fresh_email("retry")
    for i in range(PER_EMAIL):
        async with client(limited_app, fresh_ip()) as c:
            assert codes(await login(c, email, f"wrong-{i}-password")) == ["UNAUTHENTICATED"]
    async with client(limited_app, fresh_ip()) as c:
        body = await login(c, email, PASSWORD)
    assert codes(body) == ["RATE_LIMITED"], body
    retry = body["errors"][0]["extensions"].get("retryAfterSeconds")
    assert isinstance(retry, int) and not isinstance(retry, bool), body
    assert WINDOW - 10 <= retry <= WINDOW, body


async def test_successful_logins_do_not_use_up_the_address_limit(limited_app: Any) -> None:
    email = fresh_email("ok")
    async with client(limited_app, fresh_ip()) as c:
        await sign_up(c, email)
        for _ in range(PER_IP + 2):
            body = await login(c, email, PASSWORD)
            assert "errors" not in body, body


# ------------------------------------------------------ the client address

async def test_behind_a_trusted_proxy_one_attacker_never_locks_out_another_address(limited_app: Any) -> None:
    victim_email = fresh_email("victim")
    attacker, victim = fresh_ip(), fresh_ip()
    async with client(limited_app, fresh_alb()) as c:
        await sign_up(c, victim_email)
        for _ in range(PER_IP):  # each on a new email: only the address limit applies
            assert codes(await login(c, fresh_email(), PASSWORD, forwarded=attacker)) == ["UNAUTHENTICATED"]
        assert codes(await login(c, fresh_email(), PASSWORD, forwarded=attacker)) == ["RATE_LIMITED"]
        # Forged entries left of the balancer's own do not help the attacker.
        assert codes(await login(c, fresh_email(), PASSWORD, forwarded=f"{fresh_ip()}, {attacker}")) == [
            "RATE_LIMITED"]
        # Another client behind the same balancer logs in (also through a second trusted hop).
        assert "errors" not in await login(c, victim_email, PASSWORD, forwarded=victim)
        assert "errors" not in await login(c, victim_email, PASSWORD, forwarded=f"{victim}, 10.0.7.7")


async def test_an_untrusted_peer_cannot_forge_its_address(limited_app: Any) -> None:
    peer = fresh_ip()
    async with client(limited_app, peer) as c:
        for _ in range(PER_IP):
            body = await login(c, fresh_email(), PASSWORD, forwarded=fresh_ip())
            assert codes(body) == ["UNAUTHENTICATED"], body
        body = await login(c, fresh_email(), PASSWORD, forwarded=fresh_ip())
        assert codes(body) == ["RATE_LIMITED"], body
