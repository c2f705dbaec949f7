"""Deadline reminders: due-soon and overdue tasks mailed once per day per task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import getaddresses
from typing import Any

from notify_testkit import AwsEnv, Db, add_board, add_user

from models.ids import new_id
from models.tables import Board, Task, TaskStatus, User, utcnow
from notify.emulator import sent_mails
from notify.reminders import send_reminders

TODAY = date(2031, 3, 10)
NOW = datetime(2031, 3, 10, 8, 0, tzinfo=UTC)


async def add_task(
    db: Db,
    board: Board,
    supervisor: User,
    assignee: User | None,
    title: str,
    deadline: date | None,
    status: TaskStatus = TaskStatus.TODO,
) -> Task:
    task = Task(
        id=new_id("tsk"),
        board_id=board.id,
        title=title,
        description="",
        status=status,
        deadline=deadline,
        supervisor_id=supervisor.id,
        assignee_id=assignee.id if assignee else None,
        version=1,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    async with db.session_factory() as session:
        session.add(task)
        await session.commit()
    return task


def mails_to(address: str) -> list[dict[str, Any]]:
    return [m for m in sent_mails() if address in {a for _, a in getaddresses(m["to"])}]


async def test_reminders_once_per_task_per_day(sqlite_db: Db, aws: AwsEnv) -> None:
    db = sqlite_db
    boss = await add_user(db, name="Boss")
    alice = await add_user(db, name="Alice")
    bob = await add_user(db, name="Bob", reminders=False)
    carol = await add_user(db, name="Carol")
    dave = await add_user(db, name="Dave", verified=False)
    board = await add_board(db, boss, "Sprint 3")
    await add_task(db, board, boss, alice, "Due today", TODAY)
    await add_task(db, board, boss, alice, "Overdue <b>", TODAY - timedelta(days=3), TaskStatus.IN_PROGRESS)
    await add_task(db, board, boss, alice, "Later", TODAY + timedelta(days=5))
    await add_task(db, board, boss, alice, "Finished", TODAY - timedelta(days=1), TaskStatus.DONE)
    await add_task(db, board, boss, alice, "No deadline", None)
    await add_task(db, board, boss, bob, "Bob opted out", TODAY + timedelta(days=1))
    await add_task(db, board, boss, carol, "Carol tomorrow", TODAY + timedelta(days=1))
    await add_task(db, board, boss, None, "Nobody's", TODAY)
    await add_task(db, board, boss, dave, "Dave never confirmed his address", TODAY)

    clients = {
        "ses": aws.client("ses"),
        "dynamodb": aws.client("dynamodb"),
        "table": aws.table,
        "mail_from": aws.mail_from,
    }
    assert await send_reminders(db.session_factory, now=NOW, **clients) == 2

    (mail,) = mails_to(alice.email)
    assert "Due today" in mail["text"] and "Overdue <b>" in mail["text"]
    assert "Later" not in mail["text"] and "Finished" not in mail["text"] and "No deadline" not in mail["text"]
    assert "due today" in mail["text"] and "overdue since Fri 7 Mar 2031" in mail["text"]
    assert "Overdue &lt;b&gt;" in mail["html"] and "<b>Overdue <b>" not in mail["html"]
    assert mail["subject"] == "[Taskboard] 2 tasks due soon (1 overdue)"
    (carols,) = mails_to(carol.email)
    assert carols["subject"] == '[Sprint 3] "Carol tomorrow" is due tomorrow'
    assert mails_to(bob.email) == []
    assert mails_to(dave.email) == []

    # The same day again: nothing new.
    assert await send_reminders(db.session_factory, now=NOW + timedelta(hours=3), **clients) == 0
    assert len(mails_to(alice.email)) == 1 and len(mails_to(carol.email)) == 1

    # A task that became due later that day is mailed alone.
    await add_task(db, board, boss, alice, "Urgent", TODAY)
    assert await send_reminders(db.session_factory, now=NOW + timedelta(hours=4), **clients) == 1
    latest = mails_to(alice.email)[-1]
    assert "Urgent" in latest["text"] and "Due today" not in latest["text"]

    # The next day everything still open and due is reminded again.
    assert await send_reminders(db.session_factory, now=NOW + timedelta(days=1), **clients) == 2
    again = mails_to(alice.email)[-1]
    assert "Due today" in again["text"] and "Urgent" in again["text"] and "Later" not in again["text"]
