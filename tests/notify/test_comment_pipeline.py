"""A comment through the whole pipeline: the real resolver writes it and its outbox
row, the relay delivers it across an AWS outage, the mailer mails its recipients,
each once (SQLite and MySQL, moto's server behind a fault proxy)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from email.utils import getaddresses
from typing import Any

import pytest
from notify_faultproxy import FaultProxy, refused
from notify_testkit import REGION, AwsEnv, Db, add_board, add_user, sync_client
from sqlalchemy import insert, update

from models.tables import BoardMember, Task, User, utcnow
from notify import mailer
from notify.emulator import LocalAWS, sent_mails
from notify.mail_words import SWITCH_LABELS
from notify.relay import OutboxRelay
from resolvers import comment_events, comments
from resolvers.context import Ctx, Services
from resolvers.records import UserRec


@pytest.fixture
def proxy(moto: LocalAWS) -> Iterator[FaultProxy]:
    p = FaultProxy("127.0.0.1", moto.port).start()
    yield p
    p.down()


async def _member(db: Db, board_id: str, name: str, role: str = "MEMBER", **flags: Any) -> User:
    user = await add_user(db, name=name)
    async with db.engine.begin() as conn:
        # Verified, as task mail requires; the rest as the test says.
        await conn.execute(update(User.__table__).where(User.__table__.c.id == user.id)  # type: ignore[attr-defined]
                           .values(email_verified_at=utcnow(), **flags))
        await conn.execute(insert(BoardMember.__table__).values(  # type: ignore[attr-defined]
            board_id=board_id, user_id=user.id, role=role, added_at=utcnow()))
    return user


def _ctx(db: Db, viewer_id: str) -> Ctx:
    # What a comment needs of the services: the database and its write gate.
    services = Services(engine=db.engine, gate=db.gate, tokens=None, passwords=None,  # type: ignore[arg-type]
                        limiter=None, activity=None)  # type: ignore[arg-type]
    return Ctx(services, viewer_id=viewer_id)


async def test_a_comment_with_two_mentions_is_one_entry_one_event_and_each_mail_once_across_an_outage(
        db: Db, aws: AwsEnv, proxy: FaultProxy) -> None:
    founder = await add_user(db, name="Founder")
    board = await add_board(db, founder, "Sprint 3")
    owner = await _member(db, board.id, "Owner", "OWNER")
    author = await _member(db, board.id, "Author")
    assignee = await _member(db, board.id, "Assignee")
    mentioned = await _member(db, board.id, "Mentioned")
    outsider = await add_user(db, name="Outsider")
    now = utcnow()
    task_id = "tsk_" + "0" * 26
    async with db.engine.begin() as conn:
        await conn.execute(insert(Task.__table__).values(  # type: ignore[attr-defined]
            id=task_id, board_id=board.id, title="CI/CD Test", description="", status="TODO",
            supervisor_id=owner.id, assignee_id=assignee.id, version=1, created_at=now, updated_at=now, rank="a0"))

    proxy.down()
    assert refused(proxy.port)
    body = (f"@{assignee.email} and @{mentioned.email.upper()}: please look. "
            f"(@{outsider.email} is not on the board, and I am @{author.email})")
    comment, _ = await comments.add_comment(_ctx(db, author.id), task_id=task_id, body=body)
    assert set(comment.mention_ids) == {assignee.id, mentioned.id, author.id}

    relay = OutboxRelay(db.session_factory, db.is_mysql, aws.session, aws.table, aws.bus, proxy.endpoint_url, REGION,
                        backoff_base=0.05, backoff_max=0.3, gate=db.gate, sweep_interval=0.2)
    assert await relay.deliver_once() == 0  # AWS is down: the comment is committed, its event waits
    proxy.up()
    runner = asyncio.create_task(relay.run())
    try:
        relay.nudge()
        deadline = time.monotonic() + 15
        while (await relay.backlog())[0]:
            assert time.monotonic() < deadline, "the relay did not drain"
            await asyncio.sleep(0.05)
    finally:
        await relay.stop()
        await runner

    (item,) = aws.activity_items(board.id)
    assert item["ActivityKind"] == {"S": "COMMENT_ADDED"} and item["LogType"] == {"S": "Comment"}
    assert item["Message"]["S"].startswith(f"Member {author.email} Commented on Task CI/CD Test at ")
    (event,) = aws.drain_queue()
    assert event["detail-type"] == "CommentAdded"
    detail = event["detail"]
    assert detail["commentId"] == comment.id and detail["comment"]["body"] == body
    # Supervisor and the mentioned member once each, the assignee once (mentioned too), not the author.
    assert sorted((r["email"], r["reason"]) for r in detail["recipients"]) == sorted(
        [(assignee.email, "mention"), (mentioned.email, "mention"), (owner.email, "supervisor")])

    # The mailer, with SES down, then up, then the event redelivered.
    clients = {"sns": aws.client("sns"), "dynamodb": aws.client("dynamodb"), "table": aws.table,
               "mail_from": aws.mail_from}
    proxy.down()
    with pytest.raises(Exception):  # noqa: B017  (whatever botocore raises for a refused connection)
        mailer.handle_event(event, ses=sync_client("ses", proxy.endpoint_url), **clients)
    proxy.up()
    result = mailer.handle_event(event, ses=sync_client("ses", proxy.endpoint_url), **clients)
    assert result["sent"] + result["skipped"] == 3
    assert mailer.handle_event(event, ses=sync_client("ses", aws.endpoint_url), **clients)["sent"] == 0

    mails = [m for m in sent_mails() if m["event_id"] == detail["eventId"]]
    to = sorted(addr for m in mails for _, addr in getaddresses(m["to"]))
    assert to == sorted([owner.email, assignee.email, mentioned.email])
    by_to = {getaddresses(m["to"])[0][1]: m for m in mails}
    assert by_to[mentioned.email]["subject"] == '[Sprint 3] Author mentioned you on "CI/CD Test"'
    assert by_to[owner.email]["subject"] == '[Sprint 3] Author commented on "CI/CD Test"'
    assert "please look" in by_to[owner.email]["text"]
    assert SWITCH_LABELS["emailOnTaskChange"] in by_to[owner.email]["text"]
    assert SWITCH_LABELS["emailOnMention"] in by_to[mentioned.email]["text"]


def _user(name: str, **flags: Any) -> UserRec:
    return UserRec(id=f"usr_{name}", email=f"{name}@example.com", name=name, created_at=utcnow(),
                   email_verified=True, **flags)


def test_recipients_honour_each_setting_and_name_each_person_once() -> None:
    author, sup = _user("author"), _user("sup", email_on_task_change=False)
    pic = _user("pic", email_on_mention=False, sms_on_task_change=True, phone_number="+821012345678",
                phone_verified=True)
    quiet = _user("quiet", email_on_mention=False)
    loud = _user("loud", email_on_task_change=False)
    got = comment_events.recipients(author.id, sup, pic, [pic, quiet, loud, author])
    # sup turned task mail off; pic turned mentions off but is the assignee (mail and SMS);
    # quiet turned mentions off; loud only turned task mail off; the author never.
    assert [(r["userId"], r["reason"], r["sendEmail"], r["smsNumber"]) for r in got] == [
        (loud.id, "mention", True, None), (pic.id, "assignee", True, "+821012345678")]
