"""Deadline reminders: one mail per assignee (who kept `email_deadline_reminders`
on) listing their open tasks due within a day or overdue.  Idempotent per task
per day: a conditional PutItem `REMIND#<taskId>` / `<YYYY-MM-DD>` claims a task's
reminder for the day; tasks already reminded today are left out, and a user
with nothing left gets no mail.  Run it from a scheduler (`taskboard remind`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from models.tables import Board, Task, TaskStatus, User
from notify.mail_ledger import begin_send, claim_marker, confirm_marker, release_marker, suppressed_recipient
from notify.mail_send import nothing_sent, send_mail
from notify.task_mail import deadline_reminder_mail

log = logging.getLogger("taskboard.notify.reminders")


async def due_tasks(session_factory: async_sessionmaker[AsyncSession], now: datetime) -> list[dict[str, Any]]:
    """Open tasks due by tomorrow (or overdue) whose assignee wants reminders,
    ordered by assignee, deadline, id."""
    horizon = now.astimezone(UTC).date() + timedelta(days=1)
    query = (
        select(
            col(Task.id),
            col(Task.title),
            col(Task.status),
            col(Task.deadline),
            col(Task.board_id),
            col(Board.name),
            col(User.id),
            col(User.email),
            col(User.name),
        )
        .join(User, col(User.id) == col(Task.assignee_id))
        .join(Board, col(Board.id) == col(Task.board_id))
        .where(
            col(Task.status) != TaskStatus.DONE,
            col(Task.deadline).is_not(None),
            col(Task.deadline) <= horizon,
            col(User.email_deadline_reminders) == True,  # noqa: E712
            col(User.email_verified_at).is_not(None),  # mail goes only to a verified address
        )
        .order_by(col(User.id), col(Task.deadline), col(Task.id))
    )
    async with session_factory() as session:
        rows = (await session.execute(query)).all()
    return [
        {
            "id": r[0],
            "title": r[1],
            "status": str(r[2]),
            "deadline": r[3],
            "boardId": r[4],
            "boardName": r[5],
            "userId": r[6],
            "email": r[7],
            "name": r[8],
        }
        for r in rows
    ]


async def send_reminders(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    ses: Any,
    dynamodb: Any,
    table: str,
    mail_from: str,
    now: datetime,
    dedup_ttl_days: int = 7,
    logger: logging.Logger | None = None,
    public_url: str | None = None,
) -> int:
    """Mail the reminders due at `now`; the number of mails sent.  `ses` and
    `dynamodb` are boto3 (sync) clients, called in threads.  A send that surely
    failed is logged and its tasks' markers released (a later run retries them);
    one whose outcome is unknown keeps them (see notify.mailer)."""
    logger = logger or log
    today = now.astimezone(UTC).date()
    day = today.isoformat()
    expires = int(now.timestamp()) + dedup_ttl_days * 86400
    by_user: dict[str, list[dict[str, Any]]] = {}
    for task in await due_tasks(session_factory, now):
        by_user.setdefault(task["userId"], []).append(task)

    sent = 0
    for tasks in by_user.values():
        who = tasks[0]
        if await asyncio.to_thread(suppressed_recipient, dynamodb, table, who["email"], {}):
            continue  # it hard-bounced or complained (notify.suppression)
        kept = [task for task in tasks if await _claim(dynamodb, table, task, who["email"], day, expires, logger)]
        if not kept:
            continue
        mail = deadline_reminder_mail(to_email=who["email"], to_name=who["name"], tasks=kept, today=today,
                                      public_url=public_url)
        try:
            await asyncio.to_thread(send_mail, ses, mail, mail_from)
        except Exception as exc:
            if nothing_sent(exc):
                logger.warning("reminder mail to user %s failed: %s", who["userId"], exc)
                await _release(dynamodb, table, [t["id"] for t in kept], day)
            else:  # it may be out: the claims stay (a run after they go stale sends again)
                logger.warning("reminder mail to user %s: outcome unknown (%s); its claims stay",
                               who["userId"], exc)
            continue
        sent += 1
        await _confirm(dynamodb, table, kept, day, logger)
    return sent


async def _claim(dynamodb: Any, table: str, task: dict[str, Any], to: str, day: str, expires: int,
                 logger: logging.Logger) -> bool:
    """Claim today's reminder of `task` and move it to `sending`: True when it goes
    in this run's mail."""
    try:
        claimed = await asyncio.to_thread(
            claim_marker, dynamodb, table, f"REMIND#{task['id']}", day,
            {"ExpiresAt": expires, "Kind": "reminder", "To": to, "TaskTitle": task["title"]},
        )
    except Exception as exc:
        logger.warning("reminder marker for task %s failed: %s", task["id"], exc)
        return False
    if not claimed:
        return False
    try:
        await asyncio.to_thread(begin_send, dynamodb, table, f"REMIND#{task['id']}", day, claimed)
    except Exception as exc:  # not ours any more, or AWS failed: not in this mail
        logger.warning("reminder marker for task %s not moved to sending: %s", task["id"], exc)
        return False
    return True


async def _confirm(dynamodb: Any, table: str, tasks: Sequence[dict[str, Any]], day: str,
                   logger: logging.Logger) -> None:
    for t in tasks:
        try:
            await asyncio.to_thread(confirm_marker, dynamodb, table, f"REMIND#{t['id']}", day)
        except Exception as exc:  # sent is sent; a stale claim could remind again later today
            logger.warning("could not confirm the reminder marker of task %s: %s", t["id"], exc)


async def _release(dynamodb: Any, table: str, task_ids: Sequence[str], day: str) -> None:
    for task_id in task_ids:
        try:
            await asyncio.to_thread(release_marker, dynamodb, table, f"REMIND#{task_id}", day)
        except Exception as exc:
            log.warning("could not release the reminder marker of task %s: %s", task_id, exc)
