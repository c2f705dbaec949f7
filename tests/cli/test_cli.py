"""The `taskboard` command as a user runs it: real subprocesses."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aioboto3
import httpx
import pytest

from notify.emulator import LocalAWS, sent_mails
from notify.provision import provision
from taskboard.app import create_app
from tests.conftest import TEST_SECRET, Api, mark_verified, test_settings
from tests.live.conftest import free_port
from tests.servers import stop, wait_ready

TASKBOARD = str(Path(sys.executable).parent / "taskboard")


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TASKBOARD, *args], env={**os.environ, **env}, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    out = run(["migrate"], {"TASKBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}, tmp_path)
    assert out.returncode == 0, out.stderr
    import sqlite3

    tables = {r[0] for r in sqlite3.connect(db).execute("select name from sqlite_master where type='table'")}
    assert {"users", "boards", "board_members", "tasks", "board_events", "refresh_tokens"} <= tables


def test_production_refuses_a_weak_secret(tmp_path: Path) -> None:
    for secret in (None, "short", "changeme"):
        env = {"TASKBOARD_ENV": "production", "TASKBOARD_AWS": "aws"}
        if secret:
            env["TASKBOARD_JWT_SECRET"] = secret
        out = run(["serve", "--port", str(free_port())], env, tmp_path, timeout=30)
        assert out.returncode == 2
        assert "TASKBOARD_JWT_SECRET" in out.stderr and "Traceback" not in out.stderr


def test_production_never_starts_the_emulator(tmp_path: Path) -> None:
    out = run(["serve"], {"TASKBOARD_ENV": "production", "TASKBOARD_AWS": "local",
                          "TASKBOARD_JWT_SECRET": "p" * 40}, tmp_path, timeout=30)
    assert out.returncode == 2 and "emulator" in out.stderr


def test_serve_refuses_several_workers_without_redis(tmp_path: Path) -> None:
    """Each worker would hand live events only to its own sockets: a subscriber on one
    worker would miss the changes made through another."""
    env = {**os.environ, "TASKBOARD_AWS": "off", "TASKBOARD_REDIS_URL": "",
           "TASKBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"}
    proc = subprocess.Popen([TASKBOARD, "serve", "--workers", "2", "--port", str(free_port())], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        output = stop(proc, signal.SIGTERM)
        pytest.fail(f"serve --workers 2 without Redis started:\n{output}")
    output = proc.communicate()[0]
    assert proc.returncode == 2, output
    assert "TASKBOARD_REDIS_URL" in output and "Traceback" not in output


def test_worker_and_remind_need_an_aws_endpoint(tmp_path: Path) -> None:
    for cmd in ("worker", "remind"):
        out = run([cmd], {"TASKBOARD_AWS": "off"}, tmp_path)
        assert out.returncode == 2 and "TASKBOARD_AWS=aws" in out.stderr and "Traceback" not in out.stderr


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    emulator = LocalAWS()
    yield emulator
    emulator.stop()


def aws_env(emulator: Any, db: Path) -> dict[str, str]:
    return {"TASKBOARD_AWS": "aws", "AWS_ENDPOINT_URL": emulator.endpoint_url, "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "TASKBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "TASKBOARD_ENV": "test",
            "TASKBOARD_JWT_SECRET": TEST_SECRET}


async def seeded(db: Path) -> dict[str, Any]:
    """A board with tasks due tomorrow, overdue, done, and one for an opted-out user."""
    app = create_app(test_settings(f"sqlite+aiosqlite:///{db}"))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        api = Api(client, app)
        a, b, c = await api.signup("Ann"), await api.signup("Ben"), await api.signup("Cid")
        await mark_verified(app, a["id"], b["id"], c["id"])
        board = (await api.ok('mutation { createBoard(name: "Due") { id } }', token=a["token"]))["createBoard"]
        for u in (b, c):
            await api.ok('mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }',
                         {"b": board["id"], "e": u["email"]}, a["token"])
        await api.ok("mutation { updateNotificationSettings(input: {emailDeadlineReminders: false}) "
                     "{ emailDeadlineReminders } }", token=c["token"])
        today = datetime.now(UTC).date()
        create = ("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }")
        for title, who, due, status in (("soon", b, today + timedelta(days=1), "TODO"),
                                        ("late", b, today - timedelta(days=3), "IN_PROGRESS"),
                                        ("finished", b, today, "DONE"),
                                        ("later", b, today + timedelta(days=9), "TODO"),
                                        ("muted", c, today, "TODO")):
            await api.ok(create, {"i": {"boardId": board["id"], "title": title, "assigneeId": who["id"],
                                        "deadline": date.isoformat(due), "status": status}}, a["token"])
        return {"ann": a, "ben": b, "cid": c}


async def test_remind_mails_due_tasks_once_a_day(tmp_path: Path, aws: Any) -> None:
    db = tmp_path / "r.db"
    people = await seeded(db)
    session = aioboto3.Session(region_name="us-east-1")
    await provision(session, endpoint_url=aws.endpoint_url, region="us-east-1", table="taskboard-activity",
                    bus="taskboard", queue="taskboard-notify", mail_from="noreply@taskboard.local")
    env = aws_env(aws, db)
    first = await asyncio.to_thread(run, ["remind"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "sent 1 reminder mail(s)" in first.stdout
    mails = [m for m in sent_mails("us-east-1") if people["ben"]["email"] in " ".join(m["to"])]
    assert len(mails) == 1
    body = mails[0]["text"]
    assert "soon" in body and "late" in body and "finished" not in body and "later" not in body
    assert not [m for m in sent_mails("us-east-1") if people["cid"]["email"] in " ".join(m["to"])]
    again = await asyncio.to_thread(run, ["remind"], env, tmp_path)
    assert again.returncode == 0 and "sent 0 reminder mail(s)" in again.stdout


async def test_worker_mails_what_the_bus_delivers(tmp_path: Path, aws: Any) -> None:
    db = tmp_path / "w.db"
    session = aioboto3.Session(region_name="us-east-1")
    await provision(session, endpoint_url=aws.endpoint_url, region="us-east-1", table="taskboard-activity",
                    bus="taskboard", queue="taskboard-notify", mail_from="noreply@taskboard.local")
    proc = subprocess.Popen([TASKBOARD, "worker"], env={**os.environ, **aws_env(aws, db)}, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        detail = {
            "eventId": "11111111-2222-3333-4444-555555555555", "seq": 3, "boardId": "brd_x", "boardName": "Ops",
            "kind": "TASK_UPDATED", "activityKind": "TASK_STATUS_CHANGED", "detailType": "TaskStatusChanged",
            "logType": "StatusChange", "taskId": "tsk_x",
            "task": {"id": "tsk_x", "boardId": "brd_x", "title": "Deploy", "description": "", "status": "DONE",
                     "deadline": None, "version": 2, "createdAt": "2026-01-01T00:00:00.000Z",
                     "updatedAt": "2026-01-01T00:00:00.000Z",
                     "supervisor": {"id": "usr_s", "email": "sup@example.com", "name": "Sup"},
                     "assignee": {"id": "usr_a", "email": "pic@example.com", "name": "Pic"}},
            "member": None, "actorId": "usr_a", "actorEmail": "pic@example.com",
            "changes": {"status": {"from": "TODO", "to": "DONE"}},
            "message": "Assignee pic@example.com Done Task Deploy at 2026-01-01T00:00:00.000Z",
            "at": "2026-01-01T00:00:00.000Z",
            "recipients": [{"userId": "usr_s", "email": "sup@example.com", "name": "Sup", "reason": "supervisor",
                            "sendEmail": True, "smsNumber": None}],
        }
        async with session.client("events", endpoint_url=aws.endpoint_url) as events:
            out = await events.put_events(Entries=[{"Source": "taskboard", "DetailType": "TaskStatusChanged",
                                                    "Detail": json.dumps(detail), "EventBusName": "taskboard"}])
        assert out["FailedEntryCount"] == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            mails = [m for m in sent_mails("us-east-1") if "sup@example.com" in " ".join(m["to"])]
            if mails:
                break
            await asyncio.sleep(0.3)
        assert len(mails) == 1 and "Deploy" in mails[0]["subject"]
    finally:
        output = stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, output
    assert "Traceback" not in output


async def verify_from_mail_page(client: httpx.AsyncClient, api: Api, user: dict[str, Any]) -> bool:
    """Follow the user's verification link from the development mail page (another
    user's token is refused without being spent, so each one found may be tried)."""
    for _ in range(100):
        page = html.unescape((await client.get("/dev/mail")).text)
        for token in set(re.findall(r"/verify-email\?token=([A-Za-z0-9_%-]+)", page)):
            body = await api.gql("mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }",
                                 {"t": urllib.parse.unquote(token)}, user["token"])
            if "errors" not in body:
                return True
        await asyncio.sleep(0.2)
    return False


async def test_serve_runs_the_whole_pipeline_on_the_defaults(tmp_path: Path) -> None:
    """The README's first command: no configuration at all."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKBOARD_", "AWS_"))}
    proc = subprocess.Popen([TASKBOARD, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            assert await wait_ready(client, pause=0.2), "serve did not become ready"
            api = Api(client, None)
            a, b = await api.signup("Ocean"), await api.signup("Pic")
            # Links in mail point where this development server serves (its own address).
            for _ in range(100):
                if "/verify-email?token=" in (page := html.unescape((await client.get("/dev/mail")).text)):
                    break
                await asyncio.sleep(0.2)
            assert f"{base}/verify-email?token=" in page, "mail links do not point at the served address"
            # Task mail goes only to a verified address: Ocean follows the link mailed at sign-up.
            assert await verify_from_mail_page(client, api, a), "no verification link for Ocean on /dev/mail"
            board = (await api.ok('mutation { createBoard(name: "Sprint") { id } }', token=a["token"]))["createBoard"]
            await api.ok('mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }',
                         {"b": board["id"], "e": b["email"]}, a["token"])
            task = (await api.ok('mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }',
                                 {"i": {"boardId": board["id"], "title": "CI/CD Test", "assigneeId": b["id"]}},
                                 a["token"]))["createTask"]
            await api.ok('mutation($t: ID!) { updateTask(id: $t, input: {status: DONE}) { version } }',
                         {"t": task["id"]}, b["token"])
            entries: list[dict[str, Any]] = []
            page = ""
            for _ in range(100):
                data = await api.ok("query($t: ID!) { task(id: $t) { activity { edges { node { kind message } } } } }",
                                    {"t": task["id"]}, a["token"])
                entries = [e["node"] for e in data["task"]["activity"]["edges"]]
                page = (await client.get("/dev/mail")).text
                if len(entries) == 2 and "Done" in page:
                    break
                await asyncio.sleep(0.2)
            assert [e["kind"] for e in entries] == ["TASK_STATUS_CHANGED", "TASK_CREATED"]
            assert entries[0]["message"].startswith(f"Assignee {b['email']} Done Task CI/CD Test at ")
            assert a["email"] in page and "CI/CD Test" in page and "Done" in page
            assert (tmp_path / "taskboard.db").exists()
    finally:
        output = stop(proc)
    assert "Traceback" not in output, output
