"""End-to-end tests of the web client in headless Chromium.

A real `taskboard serve` (development mode: SQLite, the embedded AWS emulator
and the mail worker) runs as a subprocess in a temporary directory and serves
the built client (`web/dist`, rebuilt with `npm ci && npm run build` when
missing or stale).  Playwright drives the system Chromium (/usr/bin/chromium,
or TASKBOARD_CHROMIUM); no browser is downloaded.

Without Chromium, npm or the playwright package these tests skip, unless
TASKBOARD_TEST_REQUIRE_BROWSER=1 (CI), where they fail."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "dist"
ARTIFACTS = ROOT / "test-artifacts"
REQUIRE = os.environ.get("TASKBOARD_TEST_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("TASKBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
BUILD_INPUTS = ["src", "public", "index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json"]


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"TASKBOARD_TEST_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------------------
# The build


def _newest_input() -> float:
    newest = 0.0
    for name in BUILD_INPUTS:
        p = WEB / name
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else []
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def web_dist() -> Path:
    npm = shutil.which("npm")
    index = DIST / "index.html"
    stale = not index.exists() or index.stat().st_mtime < _newest_input()
    if stale:
        if not npm:
            _unavailable("npm is not installed, and web/dist must be built")
        lock = WEB / "node_modules" / ".package-lock.json"
        steps: list[list[str]] = []
        if not lock.exists() or lock.stat().st_mtime < (WEB / "package-lock.json").stat().st_mtime:
            steps.append([npm or "npm", "ci", "--no-audit", "--no-fund"])
        steps.append([npm or "npm", "run", "build"])
        for cmd in steps:
            done = subprocess.run(cmd, cwd=WEB, capture_output=True, text=True, timeout=300, check=False)
            if done.returncode != 0:
                pytest.fail(f"{' '.join(cmd)} failed in web/:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    assert index.exists()
    return DIST


# ---------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    log: Path

    def gql(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        r = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, headers=headers, timeout=15
        )
        body: dict[str, Any] = r.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def sign_up(self, name: str) -> Account:
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        d = self.gql(
            "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }",
            {"i": {"email": email, "name": name, "password": PASSWORD}},
        )
        return Account(name, email, d["signUp"]["user"]["id"], d["signUp"]["accessToken"])


@dataclass
class Account:
    name: str
    email: str
    id: str = ""
    token: str = ""


def _server_env(web_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKBOARD_")}
    env.update(
        {
            "TASKBOARD_ENV": "development",
            "TASKBOARD_WEB_DIR": str(web_dir),
            "TASKBOARD_JWT_SECRET": "web-e2e-secret-" + "x" * 40,
            # argon2id at a low cost keeps sign-ups fast.
            "TASKBOARD_ARGON2_MEMORY_KIB": "1024",
            "TASKBOARD_ARGON2_TIME_COST": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def _taskboard_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "taskboard"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("taskboard")
    if found:
        return [found]
    return [sys.executable, "-c", "from taskboard.cli import main; main()"]


@contextlib.contextmanager
def run_server(workdir: Path, web_dir: Path, **env: str) -> Iterator[Server]:
    port = free_port()
    log = workdir / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*_taskboard_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,
            # Account mails link to this server (the tests open them from the development mail page).
            env=_server_env(web_dir, **{"TASKBOARD_PUBLIC_URL": url, **env}),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"taskboard serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"taskboard serve did not become ready:\n{log.read_text()[-4000:]}")
                time.sleep(0.2)
            yield Server(url, log)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(scope="session")
def server(playwright_browser: Any, web_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("server"), web_dist) as srv:
        yield srv


# ---------------------------------------------------------------------------
# The browser


@pytest.fixture(scope="session")
def playwright_browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (user-data-dir).
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(playwright_browser: Any, server: Server) -> Iterator[Any]:
    """new_page(viewport=...) -> a page in a fresh browser context (its own storage)."""
    contexts: list[Any] = []

    def make(width: int = 1280, height: int = 800) -> Any:
        ctx = playwright_browser.new_context(viewport={"width": width, "height": height}, base_url=server.url)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    errors: list[str] = []
    yield make
    for ctx in contexts:
        with contextlib.suppress(Exception):
            ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
