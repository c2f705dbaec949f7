"""The mailer against moto's SES, SNS and DynamoDB (over HTTP)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Any

import boto3
import pytest
from notify_faultproxy import FaultProxy, Request, Response
from notify_testkit import REGION, AwsEnv, sync_client, task_event

from notify import mailer
from notify.emulator import LocalAWS, sent_mails, sent_sms


def clients(aws: AwsEnv, ses_endpoint: str | None = None) -> dict[str, Any]:
    return {
        "ses": sync_client("ses", ses_endpoint or aws.endpoint_url),
        "sns": aws.client("sns"),
        "dynamodb": aws.client("dynamodb"),
        "table": aws.table,
        "mail_from": aws.mail_from,
    }


def sending_client(service: str, endpoint_url: str) -> Any:
    """A client configured as the worker's and the Lambda's sending clients are."""
    return boto3.client(service, endpoint_url=endpoint_url, region_name=REGION, config=mailer.SEND_CONFIG)


def mails_for(event_id: str) -> list[dict[str, Any]]:
    return [m for m in sent_mails() if m["event_id"] == event_id]


def sms_for(numbers: set[str], before: int) -> list[dict[str, Any]]:
    return [s for s in sent_sms()[before:] if s["to"] in numbers]


def test_each_recipient_with_email_on_gets_one_mail(aws: AwsEnv) -> None:
    event = task_event()
    detail = event["detail"]
    sms_before = len(sent_sms())
    result = mailer.handle_event(event, **clients(aws))
    assert result == {"sent": 2, "skipped": 0, "sms": 2}

    mails = mails_for(detail["eventId"])
    to = sorted(addr for m in mails for _, addr in getaddresses(m["to"]))
    assert to == sorted(r["email"] for r in detail["recipients"] if r["sendEmail"])
    for mail in mails:
        assert mail["subject"] == '[Sprint 3] "CI/CD Test" moved to Done'
        assert mail["from"] == aws.mail_from
        assert mail["text"] and mail["html"], "plain text and HTML parts"
        assert "(by Boss)" in mail["text"] and detail["actorEmail"] not in mail["text"]
        assert "To do → Done" in mail["text"]
        assert "<html>" in mail["html"] and "CI/CD Test" in mail["html"]
        assert mail["at"]

    # The dedup marker keeps what a dev page needs to list the mail.
    supervisor = detail["recipients"][0]["email"]
    item = aws.client("dynamodb").get_item(
        TableName=aws.table,
        Key={"PK": {"S": f"MAIL#{detail['eventId']}"}, "SK": {"S": f"{supervisor}#email"}},
    )["Item"]
    assert item["Subject"]["S"] == '[Sprint 3] "CI/CD Test" moved to Done'
    assert item["To"]["S"] == supervisor and "(by Boss)" in item["Text"]["S"]
    assert int(item["ExpiresAt"]["N"]) > 0

    texts = sms_for({"+821012345678", "+821099998888"}, sms_before)
    assert sorted(s["to"] for s in texts) == ["+821012345678", "+821099998888"]
    assert all(len(s["message"]) <= 160 and "Sprint 3" in s["message"] for s in texts)


def test_redelivered_event_sends_nothing_twice(aws: AwsEnv) -> None:
    event = task_event()
    assert mailer.handle_event(event, **clients(aws))["sent"] == 2
    sms_before = len(sent_sms())
    again = mailer.handle_event(json.loads(json.dumps(event)), **clients(aws))
    assert again == {"sent": 0, "skipped": 4, "sms": 0}
    assert len(mails_for(event["detail"]["eventId"])) == 2
    assert len(sent_sms()) == sms_before


def test_html_part_is_escaped(aws: AwsEnv) -> None:
    title = '<script>alert("x")</script> & co'
    event = task_event(title=title)
    mailer.handle_event(event, **clients(aws))
    (mail, _) = mails_for(event["detail"]["eventId"])
    assert "<script>" not in mail["html"]
    assert "&lt;script&gt;" in mail["html"] and "&amp; co" in mail["html"]
    assert title in mail["text"]
    assert title in mail["subject"]


@pytest.mark.parametrize(
    ("detail_type", "reason", "subject"),
    [
        ("TaskCreated", "assignee", '[Sprint 3] New task "CI/CD Test" assigned to you'),
        ("TaskAssigned", "previousAssignee", '[Sprint 3] "CI/CD Test" reassigned to Dev'),
        ("TaskAssigned", "supervisor", '[Sprint 3] "CI/CD Test" assigned to Dev'),
        ("TaskDeleted", "supervisor", '[Sprint 3] "CI/CD Test" deleted'),
        ("TaskUpdated", "assignee", '[Sprint 3] "CI/CD Test" updated (status)'),
    ],
)
def test_subject_names_board_task_and_what_happened(detail_type: str, reason: str, subject: str) -> None:
    detail = task_event(detail_type)["detail"]
    assert mailer.subject_for(detail, reason) == subject


def test_member_event_sends_nothing(aws: AwsEnv) -> None:
    event = task_event("MemberAdded", kind="MEMBER_ADDED", task=None, taskId=None)
    assert mailer.handle_event(event, **clients(aws)) == {"sent": 0, "skipped": 0, "sms": 0}
    assert mails_for(event["detail"]["eventId"]) == []
    # and foreign events too
    foreign = {**task_event(), "source": "someone.else"}
    assert mailer.handle_event(foreign, **clients(aws)) == {"sent": 0, "skipped": 0, "sms": 0}


def test_failed_send_releases_its_marker_so_a_retry_sends(aws: AwsEnv, moto: LocalAWS) -> None:
    def ses_down(req: Request) -> Response | None:
        if b"Action=SendRawEmail" in req.body:
            body = (
                b"<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
                b"<Message>injected</Message></Error></ErrorResponse>"
            )
            return Response(503, {"Content-Type": "text/xml"}, body)
        return None

    proxy = FaultProxy("127.0.0.1", moto.port, hooks=[ses_down]).start()
    try:
        event = task_event(recipients=task_event()["detail"]["recipients"][:1])
        with pytest.raises(Exception, match="ServiceUnavailable"):
            mailer.handle_event(event, **clients(aws, ses_endpoint=proxy.endpoint_url))
    finally:
        proxy.down()
    assert mails_for(event["detail"]["eventId"]) == []
    assert mailer.handle_event(event, **clients(aws)) == {"sent": 1, "skipped": 0, "sms": 0}
    assert len(mails_for(event["detail"]["eventId"])) == 1


def test_a_marker_put_whose_answer_is_lost_still_sends_once(aws: AwsEnv, moto: LocalAWS) -> None:
    """The marker reaches DynamoDB but its answer is lost; botocore retries the
    conditional put, which then fails its own condition.  That retry must be known
    for our own claim (the soak lost a mail here), and a redelivery must not send again."""
    lost = {"n": 0}

    def lose_first_marker_answer(req: Request) -> Any:
        if req.target == "DynamoDB_20120810.PutItem" and b"MAIL#" in req.body and lost["n"] == 0:
            lost["n"] += 1
            return req, lambda _resp: Response(500, {"Content-Type": "application/x-amz-json-1.0"},
                                               json.dumps({"__type": "InternalServerError",
                                                           "message": "answer lost"}).encode())
        return None

    proxy = FaultProxy("127.0.0.1", moto.port, hooks=[lose_first_marker_answer]).start()
    try:
        retrying = {**clients(aws), "dynamodb": sync_client("dynamodb", proxy.endpoint_url)}
        event = task_event(recipients=task_event()["detail"]["recipients"][:1])
        assert mailer.handle_event(event, **retrying) == {"sent": 1, "skipped": 0, "sms": 0}
        assert lost["n"] == 1
        assert mailer.handle_event(event, **retrying) == {"sent": 0, "skipped": 1, "sms": 0}
    finally:
        proxy.down()
    assert len(mails_for(event["detail"]["eventId"])) == 1


def test_a_claim_left_by_a_crash_is_taken_over_once_stale(aws: AwsEnv) -> None:
    """A sender that claimed and died before sending: the mail goes out on a later
    delivery once the claim is stale, and only once."""
    c = clients(aws)
    event = task_event(recipients=task_event()["detail"]["recipients"][:1])
    detail = event["detail"]
    pk, sk = f"MAIL#{detail['eventId']}", f"{detail['recipients'][0]['email']}#email"
    long_ago = 1_000_000.0
    assert mailer.claim_marker(c["dynamodb"], c["table"], pk, sk, {"Kind": "email"}, now=long_ago)
    assert mailer.handle_event(event, **c) == {"sent": 1, "skipped": 0, "sms": 0}
    assert mailer.handle_event(event, **c) == {"sent": 0, "skipped": 1, "sms": 0}
    assert len(mails_for(detail["eventId"])) == 1
    fresh = task_event(recipients=task_event()["detail"]["recipients"][:1])
    fpk = f"MAIL#{fresh['detail']['eventId']}"
    fsk = f"{fresh['detail']['recipients'][0]['email']}#email"
    assert mailer.claim_marker(c["dynamodb"], c["table"], fpk, fsk, {"Kind": "email"})
    # A live claim is respected, and the event stays to be retried (the claimant may have
    # died before sending): nothing is sent until the claim is confirmed or goes stale.
    with pytest.raises(mailer.DeliveryInProgress):
        mailer.handle_event(fresh, **c)
    assert mails_for(fresh["detail"]["eventId"]) == []
    mailer.confirm_marker(c["dynamodb"], c["table"], fpk, fsk)
    assert mailer.handle_event(fresh, **c) == {"sent": 0, "skipped": 1, "sms": 0}


def test_a_claim_whose_answer_is_lost_for_good_is_taken_over_soon(aws: AwsEnv, moto: LocalAWS) -> None:
    """AWS goes away while the claim is being written: the claim lands but neither its
    answer nor a read-back arrives.  Nothing was sent, and the marker says so
    (`claimed`, never `sending`), so a redelivery takes it over after
    CLAIM_TIMEOUT_SECONDS instead of waiting for a send that never happened (CI's soak
    lost a mail here when such a claim was respected until stale)."""
    losing = {"on": True, "lost": 0}

    def lose_claim_answers(req: Request) -> Any:
        if not losing["on"]:
            return None
        if (req.target == "DynamoDB_20120810.PutItem" and b"MAIL#" in req.body) or \
                req.target == "DynamoDB_20120810.GetItem":
            losing["lost"] += 1
            return req, lambda _resp: None
        return None

    proxy = FaultProxy("127.0.0.1", moto.port, hooks=[lose_claim_answers]).start()
    try:
        event = task_event(recipients=task_event()["detail"]["recipients"][:1])
        c = {**clients(aws), "dynamodb": sync_client("dynamodb", proxy.endpoint_url)}
        with pytest.raises(Exception) as lost:
            mailer.handle_event(event, **c)
        assert not isinstance(lost.value, mailer.DeliveryInProgress)
        assert losing["lost"] >= 2  # the put's answer and the read-back's
        losing["on"] = False
        assert mails_for(event["detail"]["eventId"]) == []
        with pytest.raises(mailer.DeliveryInProgress):  # redelivered at once: the claim may be live
            mailer.handle_event(event, **c)
        soon = datetime.now(UTC) + timedelta(seconds=mailer.CLAIM_TIMEOUT_SECONDS + 5)
        assert soon < datetime.now(UTC) + timedelta(seconds=mailer.STALE_CLAIM_SECONDS)
        assert mailer.handle_event(event, **c, now=soon) == {"sent": 1, "skipped": 0, "sms": 0}
    finally:
        proxy.down()
    assert len(mails_for(event["detail"]["eventId"])) == 1


def test_a_send_whose_answer_is_lost_is_not_sent_again(aws: AwsEnv, moto: LocalAWS) -> None:
    """SES takes the mail but the connection breaks before its answer (the soak's
    AWS-off fault caught one in flight).  The outcome is unknown, so the claim stays:
    neither the SDK nor a redelivery sends it a second time before the claim is stale;
    once stale, the mail is sent again rather than lost."""
    dropped = {"n": 0}

    def lose_send_answer(req: Request) -> Any:
        if b"Action=SendRawEmail" in req.body and dropped["n"] == 0:
            dropped["n"] += 1
            return req, lambda _resp: None
        return None

    proxy = FaultProxy("127.0.0.1", moto.port, hooks=[lose_send_answer]).start()
    try:
        event = task_event(recipients=task_event()["detail"]["recipients"][:1])
        detail = event["detail"]
        c = {**clients(aws), "ses": sending_client("ses", proxy.endpoint_url)}
        with pytest.raises(Exception) as lost:
            mailer.handle_event(event, **c)
        assert not mailer.nothing_sent(lost.value)
        assert dropped["n"] == 1
        assert len(mails_for(detail["eventId"])) == 1  # it did go out
        with pytest.raises(mailer.DeliveryInProgress):  # the redelivery
            mailer.handle_event(event, **c)
        assert len(mails_for(detail["eventId"])) == 1
        later = datetime.now(UTC) + timedelta(seconds=mailer.STALE_CLAIM_SECONDS + 5)
        assert mailer.handle_event(event, **c, now=later) == {"sent": 1, "skipped": 0, "sms": 0}
    finally:
        proxy.down()
    assert len(mails_for(detail["eventId"])) == 2  # at least once: sent again rather than lost


def test_a_send_that_surely_failed_is_retried_at_once(aws: AwsEnv, moto: LocalAWS) -> None:
    """SES answers with an error (it sent nothing): the mailer retries the send itself,
    and the recipient gets exactly one mail."""
    failures = {"n": 0}

    def throttle_once(req: Request) -> Response | None:
        if b"Action=SendRawEmail" in req.body and failures["n"] == 0:
            failures["n"] += 1
            return Response(400, {"Content-Type": "text/xml"},
                            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                            b"<Message>Maximum sending rate exceeded.</Message></Error></ErrorResponse>")
        return None

    proxy = FaultProxy("127.0.0.1", moto.port, hooks=[throttle_once]).start()
    try:
        event = task_event(recipients=task_event()["detail"]["recipients"][:1])
        c = {**clients(aws), "ses": sending_client("ses", proxy.endpoint_url)}
        assert mailer.handle_event(event, **c) == {"sent": 1, "skipped": 0, "sms": 0}
    finally:
        proxy.down()
    assert failures["n"] == 1
    assert len(mails_for(event["detail"]["eventId"])) == 1


def test_a_sent_mail_whose_marker_could_not_be_confirmed_is_not_sent_again(
        aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB goes away between the send and its confirmation, and another
    recipient of the event fails, so the event comes back: the mail already sent is
    confirmed then, not sent again once its `sending` marker goes stale."""
    event = task_event()
    detail = event["detail"]
    first = next(r for r in detail["recipients"] if r.get("sendEmail"))
    real_confirm = mailer.confirm_marker
    real_send = mailer.send_mail
    failures = {"confirm": 1, "other": 1}

    def confirm(dynamodb: Any, table: str, pk: str, sk: str) -> None:
        if failures["confirm"]:
            failures["confirm"] -= 1
            raise RuntimeError("DynamoDB went away")
        real_confirm(dynamodb, table, pk, sk)

    def send(ses: Any, mail: Any, mail_from: str, **kw: Any) -> Any:
        if mail.to_email != first["email"] and failures["other"]:
            failures["other"] -= 1
            raise mailer.BotoConnectionError(error="SES went away")  # surely not sent
        return real_send(ses, mail, mail_from, **kw)

    monkeypatch.setattr(mailer, "confirm_marker", confirm)
    monkeypatch.setattr(mailer, "send_mail", send)
    monkeypatch.setattr(mailer, "SEND_ATTEMPTS", 1)
    with pytest.raises(Exception, match="SES went away"):
        mailer.handle_event(event, **clients(aws))
    def addressees() -> list[str]:
        return sorted(a for m in mails_for(detail["eventId"]) for _, a in getaddresses(m["to"]))

    assert addressees() == [first["email"]]
    again = mailer.handle_event(json.loads(json.dumps(event)), **clients(aws))
    assert again["sent"] == 1  # the other recipient; the first is confirmed, not re-sent
    assert len(addressees()) == 2 and len(set(addressees())) == 2
    marker = aws.client("dynamodb").get_item(
        TableName=aws.table, Key={"PK": {"S": f"MAIL#{detail['eventId']}"}, "SK": {"S": f"{first['email']}#email"}})
    assert marker["Item"]["State"]["S"] == "sent"
