"""Two server processes sharing the database and Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REDIS_URL, REQUIRE_REDIS, TEST_SECRET, Api
from tests.live.conftest import LiveServer, events, free_port, subscribe
from tests.servers import stop, wait_ready

TASKBOARD = str(Path(sys.executable).parent / "taskboard")
pytestmark = pytest.mark.redis

CREATE = 'mutation($b: ID!, $t: String!) { createTask(input: {boardId: $b, title: $t}) { id } }'


def need_redis_server() -> None:
    if shutil.which("redis-server") is None:
        if REQUIRE_REDIS:
            pytest.fail("redis-server is required (TASKBOARD_TEST_REQUIRE_REDIS=1) and not installed")
        pytest.skip("redis-server not installed")


@contextlib.asynccontextmanager
async def server(database_url: str, redis_url: str, workdir: Path) -> AsyncIterator[LiveServer]:
    port = free_port()
    env = {**os.environ, "TASKBOARD_ENV": "test", "TASKBOARD_AWS": "off", "TASKBOARD_DATABASE_URL": database_url,
           "TASKBOARD_REDIS_URL": redis_url, "TASKBOARD_JWT_SECRET": TEST_SECRET,
           "TASKBOARD_ARGON2_MEMORY_KIB": "1024", "TASKBOARD_ARGON2_TIME_COST": "1",
           "TASKBOARD_LIVE_DEGRADED_POLL": "0.5",
           # every test client is 127.0.0.1, and Redis keeps counts between runs: count per email only
           "TASKBOARD_LOGIN_FAILURES_PER_IP": "1000000"}
    proc = subprocess.Popen([TASKBOARD, "serve", "--port", str(port)], env=env, cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            if not await wait_ready(client, "/healthz"):
                raise AssertionError(f"server did not start: {stop(proc)}")
            live = LiveServer(url, Api(client, None))
            try:
                yield live
            finally:
                await live.close_sockets()
    finally:
        output = stop(proc, timeout=20)
        assert "Traceback" not in output, output


@pytest.fixture
def shared_redis() -> str:
    if not REDIS_URL:
        if REQUIRE_REDIS:
            pytest.fail("TASKBOARD_TEST_REQUIRE_REDIS=1 but TASKBOARD_TEST_REDIS_URL is not set")
        pytest.skip("TASKBOARD_TEST_REDIS_URL not set")
    return REDIS_URL


async def test_a_change_on_one_instance_reaches_a_subscriber_on_the_other(
        database_url: str, shared_redis: str, tmp_path: Path) -> None:
    async with server(database_url, shared_redis, tmp_path) as a, server(database_url, shared_redis, tmp_path) as b:
        owner = await a.api.signup("Owner")
        board = (await a.api.ok('mutation { createBoard(name: "Two") { id } }', token=owner["token"]))["createBoard"]
        ws_b = await b.socket(owner["token"])
        ws_a = await a.socket(owner["token"])
        await subscribe(ws_b, "b", board["id"], after_seq=0)
        await subscribe(ws_a, "a", board["id"], after_seq=0)
        # Writers on both instances at once: every subscriber sees 1..40 once, in order.
        await asyncio.gather(*(x.api.ok(CREATE, {"b": board["id"], "t": f"{i}"}, owner["token"])
                               for i in range(20) for x in (a, b)))
        for ws in (ws_a, ws_b):
            got = await events(ws, 40, timeout=15)
            assert [e["seq"] for e in got] == list(range(1, 41))


async def test_failed_logins_are_counted_across_instances(
        database_url: str, shared_redis: str, tmp_path: Path) -> None:
    async with server(database_url, shared_redis, tmp_path) as a, server(database_url, shared_redis, tmp_path) as b:
        user = await a.api.signup("Guarded")
        login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
        codes = []
        for i in range(6):
            body = await (a if i % 2 else b).api.gql(login, {"e": user["email"], "p": "wrong-password"})
            codes.append(body["errors"][0]["extensions"]["code"])
        assert codes[:5] == ["UNAUTHENTICATED"] * 5 and codes[5] == "RATE_LIMITED"
        right = await a.api.gql(login, {"e": user["email"], "p": "password-123"})
        assert right["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_live_board_survives_a_redis_outage(database_url: str, tmp_path: Path) -> None:
    need_redis_server()
    port = free_port()
    redis_dir = Path(tempfile.mkdtemp())

    def start_redis() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(redis_dir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return proc

    redis_proc = start_redis()
    await asyncio.sleep(0.3)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        async with server(database_url, url, tmp_path) as a, server(database_url, url, tmp_path) as b:
            owner = await a.api.signup("Owner")
            board = (await a.api.ok('mutation { createBoard(name: "Out") { id } }',
                                    token=owner["token"]))["createBoard"]
            ws = await b.socket(owner["token"])
            await subscribe(ws, "b", board["id"], after_seq=0)
            await a.api.ok(CREATE, {"b": board["id"], "t": "before"}, owner["token"])
            assert [e["seq"] for e in await events(ws, 1)] == [1]
            redis_proc.terminate()
            redis_proc.wait(10)
            await asyncio.sleep(0.5)
            # Redis is down: changes still commit, and B's subscriber still gets them (from the table).
            await a.api.ok(CREATE, {"b": board["id"], "t": "during"}, owner["token"])
            got = await events(ws, 1, timeout=10)
            assert got[0]["seq"] == 2 and got[0]["task"]["title"] == "during"
            redis_proc = start_redis()
            await asyncio.sleep(1.5)
            for i in range(3):
                await a.api.ok(CREATE, {"b": board["id"], "t": f"after {i}"}, owner["token"])
            got = await events(ws, 3, timeout=10)
            assert [e["seq"] for e in got] == [3, 4, 5]
            ready = await b.api.client.get("/readyz")
            assert ready.status_code == 200
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)
        shutil.rmtree(redis_dir, ignore_errors=True)
