"""deploy/smoke.py, the post-deploy smoke job, against a real server: it passes where
sign-up, tasks, CORS and the websocket all work, and fails (exit 1) where one does not."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from tests.conftest import test_settings
from tests.live.conftest import serve

SMOKE = Path(__file__).resolve().parents[2] / "deploy" / "smoke.py"
ORIGIN = "https://board.example.com"


async def _smoke(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, str(SMOKE), *args, "--timeout", "10",
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_smoke_passes_through_a_working_service(database_url: str) -> None:
    async with serve(test_settings(database_url, cors_origins=[ORIGIN])) as server:
        code, out = await _smoke("--api-url", server.url + "/graphql", "--ws-url", server.ws_url,
                                 "--origin", ORIGIN)
    assert code == 0, out
    assert "smoke test passed" in out and '"seq": 2' in out


async def test_smoke_fails_when_cors_does_not_allow_the_web_board(database_url: str) -> None:
    async with serve(test_settings(database_url)) as server:
        code, out = await _smoke("--api-url", server.url + "/graphql", "--ws-url", server.ws_url,
                                 "--origin", ORIGIN)
    assert code == 1, out
    assert "CORS" in out


async def test_smoke_fails_when_the_websocket_is_not_reachable(database_url: str) -> None:
    async with serve(test_settings(database_url, cors_origins=[ORIGIN])) as server:
        code, out = await _smoke("--api-url", server.url + "/graphql",
                                 "--ws-url", server.ws_url.replace("/graphql", "/nowhere"), "--origin", ORIGIN)
    assert code == 1, out
    assert "FAILED" in out
