"""`taskboard prune` as the schedule runs it: a real subprocess on a migrated database."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.cli.test_cli import run


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def seed(db: Path, events_age: timedelta) -> None:
    """A board with three delivered events `events_age` old, and one expired refresh token."""
    now = datetime.now(UTC)
    old = _ts(now - events_age)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (id, email, name, password_hash, created_at, email_on_task_change, "
                     "email_deadline_reminders, sms_on_task_change) VALUES ('usr_p', 'p@example.com', 'P', 'x', ?, "
                     "1, 1, 0)", (_ts(now),))
        conn.execute("INSERT INTO boards (id, name, created_at, created_by, event_seq) VALUES ('brd_p', 'P', ?, "
                     "'usr_p', 3)", (_ts(now),))
        for seq in (1, 2, 3):
            conn.execute(
                "INSERT INTO board_events (id, board_id, seq, kind, activity_kind, detail_type, actor_id, "
                "actor_email, payload, created_at, pending, log_delivered_at, bus_delivered_at, attempts) "
                "VALUES (?, 'brd_p', ?, 'TASK_CREATED', 'TASK_CREATED', 'TaskCreated', 'usr_p', 'p@example.com', "
                "'{}', ?, 0, ?, ?, 1)", (str(uuid.uuid4()), seq, old, old, old))
        conn.execute("INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) "
                     "VALUES ('h1', 'f1', 'usr_p', ?, ?)", (old, _ts(now - timedelta(minutes=1))))
        conn.execute("INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at) "
                     "VALUES ('h2', 'f2', 'usr_p', ?, ?)", (_ts(now), _ts(now + timedelta(days=1))))


def test_prune_deletes_what_aged_out_and_reads_the_retention_setting(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    env = {"TASKBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    assert run(["migrate"], env, tmp_path).returncode == 0
    seed(db, timedelta(days=2))

    kept = run(["prune"], env, tmp_path)  # 2 days old: inside the default 30
    assert kept.returncode == 0, kept.stderr
    assert "pruned 0 event(s) and 1 refresh token(s)" in kept.stdout

    out = run(["prune"], {**env, "TASKBOARD_EVENT_RETENTION_DAYS": "1"}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "pruned 2 event(s) and 0 refresh token(s)" in out.stdout  # the newest stays
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT seq FROM board_events")] == [3]
        assert [r[0] for r in conn.execute("SELECT token_hash FROM refresh_tokens")] == ["h2"]


def test_prune_on_a_database_without_the_schema_fails_cleanly(tmp_path: Path) -> None:
    out = run(["prune"], {"TASKBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}, tmp_path)
    assert out.returncode == 1
    assert "taskboard: prune failed" in out.stderr and "Traceback" not in out.stderr


def test_a_retention_below_one_day_is_a_configuration_error(tmp_path: Path) -> None:
    out = run(["prune"], {"TASKBOARD_EVENT_RETENTION_DAYS": "0"}, tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "configuration error" in out.stderr and "greater than or equal to 1" in out.stderr
