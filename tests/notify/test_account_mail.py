"""A user's own mail goes outbox -> account relay -> bus -> queue -> mailer -> SES,
once, and survives an AWS outage (issue 16, "Done when": the reset mail with an
outage in between)."""

from __future__ import annotations

from typing import Any

from notify_testkit import REGION, AwsEnv, Db, add_user
from sqlalchemy import select, update

from models.events import ACCOUNT_PASSWORD_RESET, ACCOUNT_PHONE_CODE
from models.tables import AccountMessage
from notify import mailer
from notify.account_relay import AccountRelay
from notify.emulator import sent_mails
from resolvers import account_outbox

messages_t = AccountMessage.__table__  # type: ignore[attr-defined]
DEAD_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: the outage


def relay(db: Db, aws: AwsEnv, endpoint_url: str | None = None) -> AccountRelay:
    return AccountRelay(db.engine, db.gate, aws.session, bus=aws.bus, endpoint_url=endpoint_url or aws.endpoint_url,
                        region=REGION, mysql=db.is_mysql, lease_seconds=30)


async def enqueue(db: Db, detail_type: str, **kw: Any) -> str:
    async with db.gate, db.engine.connect() as conn:
        await conn.execution_options(write=True)
        message_id = await account_outbox.enqueue(conn, detail_type, **kw)
        await conn.commit()
    return message_id


def handle_queue(aws: AwsEnv) -> list[dict[str, int]]:
    return [mailer.handle_event(event, ses=aws.client("ses"), sns=aws.client("sns"), dynamodb=aws.client("dynamodb"),
                                table=aws.table, mail_from=aws.mail_from) for event in aws.drain_queue()]


async def row(db: Db, message_id: str) -> Any:
    async with db.engine.connect() as conn:
        return (await conn.execute(select(messages_t).where(messages_t.c.id == message_id))).one()


async def test_reset_mail_survives_an_outage_and_is_sent_once(db: Db, aws: AwsEnv) -> None:
    user = await add_user(db, name="Dana")
    link = "http://localhost:8000/reset-password?token=tok-123"
    message_id = await enqueue(db, ACCOUNT_PASSWORD_RESET, user_id=user.id, to_email=user.email, to_name=user.name,
                               link=link, expiresAt="2026-12-03T13:30:00.000Z")
    down = relay(db, aws, DEAD_ENDPOINT)
    try:
        assert await down.deliver_once() == 1
    finally:
        await down.aclose()
    stuck = await row(db, message_id)
    assert stuck.pending and stuck.last_error and stuck.attempts == 1
    assert aws.drain_queue() == []
    # AWS is back: the row falls due (its backoff skipped here) and goes out once.
    async with db.engine.begin() as conn:
        await conn.execute(update(messages_t).where(messages_t.c.id == message_id).values(next_attempt_at=None))
    up = relay(db, aws)
    try:
        assert await up.deliver_once() == 1
        assert await up.deliver_once() == 0
    finally:
        await up.aclose()
    done = await row(db, message_id)
    assert not done.pending and done.delivered_at is not None
    assert "link" not in done.payload  # the token is not kept once delivered
    events = aws.drain_queue()
    assert [e["detail-type"] for e in events] == [ACCOUNT_PASSWORD_RESET]
    handler = dict(ses=aws.client("ses"), sns=aws.client("sns"), dynamodb=aws.client("dynamodb"), table=aws.table,
                   mail_from=aws.mail_from)
    assert mailer.handle_event(events[0], **handler) == {"sent": 1, "skipped": 0, "sms": 0}
    assert mailer.handle_event(events[0], **handler) == {"sent": 0, "skipped": 1, "sms": 0}  # redelivered
    mails = [m for m in sent_mails(REGION) if m["event_id"] == message_id]
    assert len(mails) == 1
    mail = mails[0]
    assert user.email in mail["to"][0] and "password" in mail["subject"].lower()
    assert link in mail["text"] and link in mail["html"]


async def test_phone_code_is_texted_once(db: Db, aws: AwsEnv) -> None:
    user = await add_user(db, name="Pat")
    await enqueue(db, ACCOUNT_PHONE_CODE, user_id=user.id, sms_number="+821012345678", code="123456")
    r = relay(db, aws)
    try:
        assert await r.deliver_once() == 1
    finally:
        await r.aclose()
    counts = handle_queue(aws)
    assert counts == [{"sent": 0, "skipped": 0, "sms": 1}]


def test_being_added_to_a_board_is_mailed_once(aws: AwsEnv) -> None:
    detail = {"eventId": "evt-added-1", "boardId": "brd_x", "boardName": "Sprint 3", "actorEmail": "o@example.com",
              "detailType": "MemberAdded",
              "recipients": [{"userId": "usr_a", "email": "added@example.com", "name": "Ada", "reason": "added",
                              "sendEmail": True, "smsNumber": None,
                              "boardLink": "http://localhost:8000/boards/brd_x"}]}
    event = {"source": "taskboard", "detail-type": "MemberAdded", "detail": detail}
    handler = dict(ses=aws.client("ses"), sns=aws.client("sns"), dynamodb=aws.client("dynamodb"), table=aws.table,
                   mail_from=aws.mail_from)
    assert mailer.handle_event(event, **handler) == {"sent": 1, "skipped": 0, "sms": 0}
    assert mailer.handle_event(event, **handler) == {"sent": 0, "skipped": 1, "sms": 0}
    (mail,) = [m for m in sent_mails(REGION) if m["event_id"] == "evt-added-1"]
    assert "Sprint 3" in mail["subject"] and "http://localhost:8000/boards/brd_x" in mail["text"]
    nobody = {**event, "detail": {**detail, "eventId": "evt-added-2", "recipients": []}}
    assert mailer.handle_event(nobody, **handler) == {"sent": 0, "skipped": 0, "sms": 0}


async def test_invitation_and_verification_mails_are_sent_once_each(db: Db, aws: AwsEnv) -> None:
    from models.events import ACCOUNT_EMAIL_VERIFICATION, ACCOUNT_INVITATION

    user = await add_user(db, name="Owner")
    invite_link = "http://localhost:8000/invitations/accept?id=inv_x&token=tok-inv"
    verify_link = "http://localhost:8000/verify-email?token=tok-ver"
    ids = [
        await enqueue(db, ACCOUNT_INVITATION, user_id=user.id, to_email="guest@example.com", boardName="Roadmap",
                      invitedBy=user.email, role="MEMBER", link=invite_link, expiresAt="2026-12-10T13:00:00.000Z"),
        await enqueue(db, ACCOUNT_EMAIL_VERIFICATION, user_id=user.id, to_email=user.email, to_name=user.name,
                      link=verify_link, expiresAt="2026-12-04T13:00:00.000Z"),
    ]
    r = relay(db, aws)
    try:
        assert await r.deliver_once() == 2
    finally:
        await r.aclose()
    events = aws.drain_queue()
    assert sorted(e["detail-type"] for e in events) == sorted([ACCOUNT_INVITATION, ACCOUNT_EMAIL_VERIFICATION])
    handler = dict(ses=aws.client("ses"), sns=aws.client("sns"), dynamodb=aws.client("dynamodb"), table=aws.table,
                   mail_from=aws.mail_from)
    for event in events + events:  # each delivered twice: mailed once
        mailer.handle_event(event, **handler)
    invitation, = [m for m in sent_mails(REGION) if m["event_id"] == ids[0]]
    assert "Roadmap" in invitation["subject"] and user.email in invitation["subject"]
    assert invite_link in invitation["text"] and "guest@example.com" in invitation["to"][0]
    verification, = [m for m in sent_mails(REGION) if m["event_id"] == ids[1]]
    assert verify_link in verification["text"] and "Confirm" in verification["subject"]
