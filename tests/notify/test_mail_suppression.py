"""Mail reputation: every send names the SES configuration set, and an address
that hard-bounced or complained gets no more mail (moto's SES and DynamoDB)."""

from __future__ import annotations

from email.utils import getaddresses
from pathlib import Path
from typing import Any

import httpx
import pytest
from notify_testkit import AwsEnv, Db, add_board, add_user, sync_client, task_event
from test_notify_reminders import NOW, TODAY, add_task

from notify import mailer
from notify.emulator import sent_mails
from notify.reminders import send_reminders
from notify.suppression import feedback_of, is_suppressed, suppression_reason
from taskboard.app import create_app
from tests.conftest import Api, test_settings


def clients(aws: AwsEnv, ses: Any = None) -> dict[str, Any]:
    return {"ses": ses or sync_client("ses", aws.endpoint_url), "sns": aws.client("sns"),
            "dynamodb": aws.client("dynamodb"), "table": aws.table, "mail_from": aws.mail_from}


def recording_ses(aws: AwsEnv) -> tuple[Any, list[dict[str, Any]]]:
    """A real SES client (to moto) that also keeps the parameters of each send."""
    ses = sync_client("ses", aws.endpoint_url)
    calls: list[dict[str, Any]] = []
    ses.meta.events.register("provide-client-params.ses.SendRawEmail",
                             lambda params, **_: calls.append(dict(params)))
    return ses, calls


def mailed(event_id: str) -> list[str]:
    return sorted(addr for m in sent_mails() if m["event_id"] == event_id for _, addr in getaddresses(m["to"]))


def ses_event(kind: str, address: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    """An SES event as EventBridge delivers it (configuration set event destination)."""
    mail = {"messageId": "0100-x", "destination": [address], "tags": {"ses:configuration-set": ["tb-mail"]}}
    detail: dict[str, Any] = {"eventType": kind, "mail": mail}
    if kind == "Bounce":
        detail["bounce"] = {"bounceType": bounce_type, "bounceSubType": "General",
                            "bouncedRecipients": [{"emailAddress": address, "status": "5.1.1"}]}
        detail_type = "Email Bounced"
    else:
        detail["complaint"] = {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"}
        detail_type = "Email Complaint Received"
    return {"version": "0", "id": "e-1", "source": "aws.ses", "detail-type": detail_type,
            "time": "2026-01-02T03:04:05Z", "detail": detail}


def test_every_send_names_the_configuration_set(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKBOARD_SES_CONFIGURATION_SET", "tb-mail")
    ses, calls = recording_ses(aws)
    assert mailer.handle_event(task_event(), **clients(aws, ses))["sent"] == 2
    assert len(calls) == 2
    assert all(c.get("ConfigurationSetName") == "tb-mail" for c in calls)


def test_no_configuration_set_when_none_is_configured(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASKBOARD_SES_CONFIGURATION_SET", raising=False)
    ses, calls = recording_ses(aws)
    mailer.handle_event(task_event(), **clients(aws, ses))
    assert calls and all("ConfigurationSetName" not in c for c in calls)


@pytest.mark.parametrize("kind", ["Bounce", "Complaint"])
def test_a_hard_bounce_or_complaint_stops_mail_to_that_address(aws: AwsEnv, kind: str) -> None:
    event = task_event()
    supervisor, assignee = (r["email"] for r in event["detail"]["recipients"][:2])
    # The Lambda's entry point takes SES's event like any other.
    assert mailer.handle_event(ses_event(kind, supervisor.upper()), **clients(aws)) == {"suppressed": 1}
    assert suppression_reason(aws.client("dynamodb"), aws.table, supervisor) == kind.upper()

    result = mailer.handle_event(event, **clients(aws))
    assert result["sent"] == 1 and result["suppressed"] == 1
    assert mailed(event["detail"]["eventId"]) == [assignee]


def test_a_transient_bounce_suppresses_nothing(aws: AwsEnv) -> None:
    event = task_event()
    supervisor = event["detail"]["recipients"][0]["email"]
    assert mailer.handle_event(ses_event("Bounce", supervisor, "Transient"), **clients(aws)) == {"suppressed": 0}
    assert not is_suppressed(aws.client("dynamodb"), aws.table, supervisor)
    assert mailer.handle_event(event, **clients(aws))["sent"] == 2


def test_other_ses_events_and_foreign_events_are_not_feedback() -> None:
    delivered = {**ses_event("Bounce", "a@example.com"), "detail-type": "Email Delivered",
                 "detail": {"eventType": "Delivery", "delivery": {"recipients": ["a@example.com"]}}}
    assert feedback_of(delivered) == []
    assert feedback_of({**ses_event("Complaint", "a@example.com"), "source": "taskboard"}) == []


def test_account_mail_skips_a_suppressed_address(aws: AwsEnv) -> None:
    handler = clients(aws)
    mailer.handle_event(ses_event("Complaint", "added@example.com"), **handler)
    detail = {"eventId": "evt-added-supp", "boardId": "brd_x", "boardName": "Sprint 3",
              "actorEmail": "o@example.com", "detailType": "MemberAdded",
              "recipients": [{"userId": "usr_a", "email": "added@example.com", "name": "Ada", "reason": "added",
                              "sendEmail": True, "smsNumber": None, "boardLink": "http://localhost:8000/b"}]}
    event = {"source": "taskboard", "detail-type": "MemberAdded", "detail": detail}
    assert mailer.handle_event(event, **handler)["sent"] == 0
    assert mailed("evt-added-supp") == []


async def test_reminders_skip_a_suppressed_address(sqlite_db: Db, aws: AwsEnv) -> None:
    boss = await add_user(sqlite_db, name="Boss")
    gone, kept = await add_user(sqlite_db, name="Gone"), await add_user(sqlite_db, name="Kept")
    board = await add_board(sqlite_db, boss, "Sprint 3")
    await add_task(sqlite_db, board, boss, gone, "Gone's", TODAY)
    await add_task(sqlite_db, board, boss, kept, "Kept's", TODAY)
    mailer.handle_event(ses_event("Bounce", gone.email), **clients(aws))
    sent = await send_reminders(sqlite_db.session_factory, now=NOW, ses=aws.client("ses"),
                                dynamodb=aws.client("dynamodb"), table=aws.table, mail_from=aws.mail_from)
    assert sent == 1
    to = {a for m in sent_mails() for _, a in getaddresses(m["to"])}
    assert kept.email in to and gone.email not in to


SETTINGS = "query { viewer { notificationSettings { emailOnTaskChange emailSuppressed emailSuppressedReason } } }"


async def test_the_viewer_sees_that_mail_to_them_stopped(aws: AwsEnv, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    settings = test_settings(f"sqlite+aiosqlite:///{tmp_path}/s.db", aws="aws", activity_table=aws.table,
                             event_bus=aws.bus, relay_mode="inline")
    app = create_app(settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        api = Api(client, app)
        me, other = await api.signup("Me"), await api.signup("Other")
        mailer.handle_event(ses_event("Complaint", me["email"]), **clients(aws))
        mine = (await api.ok(SETTINGS, token=me["token"]))["viewer"]["notificationSettings"]
        assert mine == {"emailOnTaskChange": True, "emailSuppressed": True, "emailSuppressedReason": "COMPLAINT"}
        theirs = (await api.ok(SETTINGS, token=other["token"]))["viewer"]["notificationSettings"]
        assert theirs["emailSuppressed"] is False and theirs["emailSuppressedReason"] is None


async def test_without_aws_nothing_is_suppressed(api: Api) -> None:
    me = await api.signup("Offline")
    mine = (await api.ok(SETTINGS, token=me["token"]))["viewer"]["notificationSettings"]
    assert mine["emailSuppressed"] is False and mine["emailSuppressedReason"] is None
