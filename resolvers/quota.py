"""Daily caps on the mail and SMS one user's actions cause (TASKBOARD_MAIL_QUOTA,
TASKBOARD_SMS_QUOTA).  Past the cap the action still happens; the message is not
sent, and what records the action says so (the activity entry's message, or the
account outbox row)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from models.table_refs import usage_t
from models.tables import BoardEventRow, utcnow
from models.uow import LockedBoard, UnitOfWork
from notify.mail_words import board_url, task_url

MAIL, SMS = "mail", "sms"


async def take(conn: AsyncConnection, user_id: str, channel: str, cap: int, day: date | None = None) -> bool:
    """Count one message against the user's cap for today: False when it is spent."""
    day = day or utcnow().date()
    where = (usage_t.c.user_id == user_id, usage_t.c.day == day, usage_t.c.channel == channel)
    bumped = await conn.execute(update(usage_t).where(*where, usage_t.c.count < cap).values(count=usage_t.c.count + 1))
    if bumped.rowcount == 1:
        return True
    if cap <= 0:
        return False
    try:
        async with conn.begin_nested():
            await conn.execute(insert(usage_t).values(user_id=user_id, day=day, channel=channel, count=1))
    except IntegrityError:
        return False  # the day's row exists and is at the cap
    return True


async def cap_recipients(conn: AsyncConnection, actor_id: str, payload: dict[str, Any], mail_cap: int,
                         sms_cap: int) -> None:
    """Take the actor's quota for each mail and SMS of the payload's recipients;
    what is past the cap is not sent, and the message says so."""
    held_mail = held_sms = 0
    for rcpt in payload.get("recipients") or []:
        if rcpt.get("sendEmail") and not await take(conn, actor_id, MAIL, mail_cap):
            rcpt["sendEmail"], held_mail = False, held_mail + 1
        if rcpt.get("smsNumber") and not await take(conn, actor_id, SMS, sms_cap):
            rcpt["smsNumber"], held_sms = None, held_sms + 1
    if held_mail or held_sms:
        payload["quota"] = {"mailNotSent": held_mail, "smsNotSent": held_sms}
        parts = [f"{n} {what}" for n, what in ((held_mail, "mail"), (held_sms, "SMS")) if n]
        payload["message"] = f"{payload.get('message') or ''} ({' and '.join(parts)} not sent: daily quota reached)"


class QuotaUnitOfWork(UnitOfWork):
    """A unit of work whose recorded changes spend the actor's message quotas, and
    carry what their mails say besides: the actor's name and links to the board
    and the task on the web board (`public_url`)."""

    def __init__(self, *args: Any, mail_cap: int, sms_cap: int, public_url: str | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._caps = (mail_cap, sms_cap)
        self._public_url = public_url

    async def record(self, board: LockedBoard, *, actor_id: str, payload: dict[str, Any],
                     **kw: Any) -> BoardEventRow:
        payload = dict(payload)
        if self._public_url:
            payload["boardUrl"] = board_url(self._public_url, board.id)
            if kw.get("task_id"):
                payload["taskUrl"] = task_url(self._public_url, board.id, kw["task_id"])
        if payload.get("recipients"):
            payload = dict(payload, recipients=[dict(r) for r in payload["recipients"]])
            await cap_recipients(self.conn, actor_id, payload, *self._caps)
        return await super().record(board, actor_id=actor_id, payload=payload, **kw)
