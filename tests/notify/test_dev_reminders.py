"""`make run` (`taskboard serve` in development) mails the deadline reminders
itself, as it runs the mail worker: no scheduler is needed on a laptop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from notify_testkit import Db, add_board, add_user
from test_notify_reminders import add_task, mails_to

from models.db import make_session_factory
from taskboard.bootstrap import build, close
from taskboard.settings import Settings
from tests.conftest import TEST_SECRET


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development", "database_url": f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}",
        "jwt_secret": TEST_SECRET, "aws": "local", "reminder_interval": 0.3,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def test_the_development_server_sends_the_deadline_reminders(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    rt = await build(settings)
    try:
        assert "deadline-reminders" in {t.get_name() for t in rt.tasks}
        db = Db(rt.engine, make_session_factory(rt.engine), False, rt.services.gate, settings.database_url)
        boss, ada = await add_user(db, name="Boss"), await add_user(db, name="Ada")
        board = await add_board(db, boss, "Dev board")
        await add_task(db, board, boss, ada, "Due today", datetime.now(UTC).date())
        for _ in range(100):  # the next pass (every 0.3 s here) finds it
            if mails_to(ada.email):
                break
            await asyncio.sleep(0.1)
        (mail,) = mails_to(ada.email)
        assert "Due today" in mail["body"]
        assert f"{settings.public_url}/boards/{board.id}?task=" in mail["body"]
        await asyncio.sleep(1)  # later passes the same day send nothing twice
        assert len(mails_to(ada.email)) == 1
    finally:
        await close(rt)


async def test_no_reminders_where_no_worker_runs(tmp_path: Path) -> None:
    rt = await build(_settings(tmp_path, notify_worker=False))
    try:
        assert "deadline-reminders" not in {t.get_name() for t in rt.tasks}
    finally:
        await close(rt)
