"""The mailer: one EventBridge task event in, one email per recipient (and one SMS
per recipient with a phone number) out, through SES and SNS.

The same function runs in the AWS Lambda and in the local worker, so this module
imports only the standard library and boto3 (botocore).  Idempotent on the event
id: before sending, a conditional PutItem claims `(eventId, recipient)` in the
activity table, and after sending the claim is confirmed; a redelivered event
finds the marker and sends nothing twice.

A marker goes `claimed` -> `sending` (written just before the SES or SNS call)
-> `sent`.  A claim that never reached `sending` sent nothing: when its holder
died or lost AWS, another attempt takes it over after `CLAIM_TIMEOUT_SECONDS`.
A send can fail in two ways.  When the failure proves nothing went out (SES or
SNS answered with an error, or no connection was made) the claim is released
and the error raised, so the redelivery sends it.  When the outcome is unknown
(the connection broke or timed out after the request was sent) the mail may be
out: the marker stays `sending`, and a redelivery waits (`DeliveryInProgress`)
until it is confirmed or goes stale (`STALE_CLAIM_SECONDS`), then takes it over.
That is the one case in which a recipient can get a mail twice; the alternative
is losing it.  For the same reason the SES and SNS clients must not retry sends
themselves (`SEND_CONFIG`): a retry after a lost answer is a second mail.
"""

from __future__ import annotations

import email.policy
import html
import json
import logging
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import partial
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from models import tracing
from models.events import (
    ACCOUNT_MAIL_DETAIL_TYPES,
    COMMENT_MAIL_DETAIL_TYPES,
    MEMBER_MAIL_DETAIL_TYPES,
    SOURCE,
    TASK_MAIL_DETAIL_TYPES,
    iso,
)
from notify.mail_words import actor_name, day, name_of, person_by_id, task_url, turn_off
from notify.suppression import SES_SOURCE, is_suppressed, record_feedback

TASK_DETAIL_TYPES = frozenset(TASK_MAIL_DETAIL_TYPES)
# Board changes that mail the recipients their event names: task changes, new comments.
BOARD_MAIL_DETAIL_TYPES = TASK_DETAIL_TYPES | frozenset(COMMENT_MAIL_DETAIL_TYPES)
STATUS_LABELS = {"TODO": "To do", "IN_PROGRESS": "In progress", "IN_REVIEW": "In review", "DONE": "Done"}
REASON_LABELS = {"supervisor": "supervisor", "assignee": "assignee", "previousAssignee": "previous assignee"}
FIELD_LABELS = {
    "title": "title",
    "description": "description",
    "status": "status",
    "deadline": "deadline",
    "assignee": "assignee",
    "supervisor": "supervisor",
}
SMS_MAX = 160
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
log = logging.getLogger("taskboard.notify.mailer")


@dataclass(frozen=True)
class RenderedMail:
    to_email: str
    to_name: str
    subject: str
    text: str
    html: str


def _clean(value: Any, limit: int = 200) -> str:
    """One line of user text, safe for a header or an SMS."""
    text = _CONTROL.sub(" ", str(value if value is not None else "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value)) if value else "—"


def _who(value: Any) -> str:
    """A person by name: an address is not a name (and the recipient has theirs)."""
    return _clean(name_of(value, "—"), 100)


def _change_value(detail: Mapping[str, Any], field: str, value: Any) -> str:
    if field == "status":
        return _status(value)
    if field == "deadline":
        return day(value) if value else "none"
    if field in ("assignee", "supervisor"):
        return _clean(person_by_id(detail, value), 100)
    if isinstance(value, Mapping):
        return _who(value)
    if value in (None, ""):
        return "—"
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _task(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    task = detail.get("task")
    return task if isinstance(task, Mapping) else {}


def what_happened(detail: Mapping[str, Any], reason: str | None = None) -> str:
    """`"CI/CD Test" moved to Done`: the task and what happened to it, for a
    recipient with the given reason."""
    task = _task(detail)
    title = f'"{_clean(task.get("title") or "a task", 120)}"'
    raw_changes = detail.get("changes")
    changes: Mapping[str, Any] = raw_changes if isinstance(raw_changes, Mapping) else {}
    assignee = task.get("assignee") if isinstance(task.get("assignee"), Mapping) else None
    kind = detail.get("detailType") or ""
    if kind == "TaskCreated":
        return f"New task {title} assigned to you" if reason == "assignee" else f"New task {title}"
    if kind == "TaskStatusChanged":
        status_change = changes.get("status")
        status = status_change.get("to") if isinstance(status_change, Mapping) else None
        return f"{title} moved to {_status(status or task.get('status'))}"
    if kind == "TaskAssigned":
        if reason == "assignee":
            return f"{title} assigned to you"
        target = _clean(name_of(assignee, "someone")) if assignee else "nobody"
        return f"{title} reassigned to {target}" if reason == "previousAssignee" else f"{title} assigned to {target}"
    if kind == "TaskDeleted":
        return f"{title} deleted"
    if kind in COMMENT_MAIL_DETAIL_TYPES:
        return f"New comment on {title}"
    if kind == "TaskUpdated":
        fields = [FIELD_LABELS.get(k, k) for k in changes] if changes else []
        return f"{title} updated ({', '.join(fields)})" if fields else f"{title} updated"
    return f"{title} changed"


def subject_for(detail: Mapping[str, Any], reason: str | None = None) -> str:
    board = _clean(detail.get("boardName") or "Taskboard", 80)
    return _clean(f"[{board}] {what_happened(detail, reason)}", 250)


def _facts(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    task = _task(detail)
    facts = [
        ("Task", _clean(task.get("title") or "—", 200)),
        ("Board", _clean(detail.get("boardName") or "—", 200)),
        ("Status", _status(task.get("status"))),
        ("Deadline", day(task.get("deadline")) if task.get("deadline") else "None"),
        ("Assignee", _who(task.get("assignee")) if task.get("assignee") else "Unassigned"),
        ("Supervisor", _who(task.get("supervisor"))),
        ("Changed by", _clean(actor_name(detail), 100)),
    ]
    return facts


def _changes(detail: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    changes = detail.get("changes")
    if not isinstance(changes, Mapping):
        return []
    out: list[tuple[str, str, str]] = []
    for field, change in changes.items():
        if isinstance(change, Mapping):
            out.append(
                (
                    FIELD_LABELS.get(field, str(field)),
                    _change_value(detail, field, change.get("from")),
                    _change_value(detail, field, change.get("to")),
                )
            )
    return out


def render_task_mail(detail: Mapping[str, Any], recipient: Mapping[str, Any]) -> RenderedMail:
    reason = str(recipient.get("reason") or "")
    name = _clean(recipient.get("name") or recipient.get("email") or "", 100)
    subject = subject_for(detail, reason)
    headline = what_happened(detail, reason)
    actor = _clean(actor_name(detail), 100)
    facts = _facts(detail)
    changes = _changes(detail)
    # The seed's log line ("Supervisor <address> Done Task ... at <instant>") stays in
    # the activity log: a mail says the same in words.
    footer = f"You get this email as the task's {REASON_LABELS.get(reason, reason or 'member')}. " + turn_off(
        "emailOnTaskChange")
    links = mail_links(detail)

    lines = [f"Hi {name},", "", f"{headline} (by {actor}).", ""]
    width = max(len(k) for k, _ in facts)
    lines += [f"{k + ':':<{width + 1}} {v}" for k, v in facts]
    if changes:
        lines += ["", "What changed:"] + [f"  - {f}: {a} → {b}" for f, a, b in changes]
    if links:
        lines += [""] + [f"{words}: {url}" for words, url in links]
    lines += ["", "-- ", footer, ""]
    text = "\n".join(lines)

    e = html.escape
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in facts
    )
    change_html = (
        "<h3>What changed</h3><ul>"
        + "".join(f"<li><b>{e(f)}</b>: {e(a)} &rarr; {e(b)}</li>" for f, a, b in changes)
        + "</ul>"
        if changes
        else ""
    )
    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p>"
        f"<p><strong>{e(headline)}</strong> (by {e(actor)}).</p>"
        f"<table>{rows}</table>"
        f"{change_html}{links_html(links)}"
        f'<hr><p style="color:#666;font-size:small">{e(footer)}</p>'
        "</body></html>"
    )
    return RenderedMail(str(recipient.get("email")), name, subject, text, body_html)


def mail_links(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The task (unless it is gone) and its board, as the event's commit saw them."""
    out = []
    if detail.get("taskUrl") and detail.get("detailType") != "TaskDeleted":
        out.append(("Open the task", str(detail["taskUrl"])))
    if detail.get("boardUrl"):
        out.append(("Open the board", str(detail["boardUrl"])))
    return out


def links_html(links: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    return "".join(f'<p><a href="{e(url, quote=True)}">{e(words)}</a></p>' for words, url in links)


def render_mail(detail: Mapping[str, Any], recipient: Mapping[str, Any]) -> RenderedMail:
    if detail.get("detailType") in COMMENT_MAIL_DETAIL_TYPES:
        from notify.comment_mail import render_comment_mail  # it builds on this module

        return render_comment_mail(detail, recipient)
    return render_task_mail(detail, recipient)


def sms_text(detail: Mapping[str, Any], recipient: Mapping[str, Any] | None = None) -> str:
    reason = str((recipient or {}).get("reason") or "")
    text = _clean(f"{subject_for(detail, reason)} by {actor_name(detail)}", 1000)
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 1] + "…"


def _relative_due(deadline: date, today: date) -> str:
    days = (deadline - today).days
    if days < 0:
        return f"overdue since {day(deadline)}"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"due {day(deadline)}"


def deadline_reminder_mail(
    *, to_email: str, to_name: str, tasks: Sequence[Mapping[str, Any]], today: date, public_url: str | None = None
) -> RenderedMail:
    """One reminder listing the recipient's tasks that are due soon or overdue, each
    with a link to it when the web board's address is known.
    Each task: {"id", "boardId", "title", "boardName", "deadline": date | "YYYY-MM-DD", "status"}."""
    items = []
    for task in tasks:
        deadline = task["deadline"]
        if isinstance(deadline, str):
            deadline = date.fromisoformat(deadline)
        link = task_url(public_url, str(task.get("boardId")), str(task.get("id"))) if public_url else ""
        items.append(
            (
                _clean(task.get("title") or "a task", 120),
                _clean(task.get("boardName") or "", 80),
                _relative_due(deadline, today),
                _status(task.get("status")),
                link,
            )
        )
    name = _clean(to_name or to_email, 100)
    overdue = sum(1 for _, _, due, _, _ in items if due.startswith("overdue"))
    if len(items) == 1:
        title, board, due, _, _ = items[0]
        subject = _clean(f'[{board or "Taskboard"}] "{title}" is {due}', 250)
    else:
        subject = f"[Taskboard] {len(items)} tasks due soon" + (f" ({overdue} overdue)" if overdue else "")
    lines = [f"Hi {name},", "", "These tasks of yours need attention:", ""]
    for t, b, d, s, link in items:
        lines.append(f'  - "{t}" on {b or "your board"}: {d} (status {s})')
        if link:
            lines.append(f"    {link}")
    footer = turn_off("emailDeadlineReminders")
    lines += ["", "-- ", footer, ""]
    e = html.escape

    def item_html(t: str, b: str, d: str, s: str, link: str) -> str:
        title = f'<a href="{e(link, quote=True)}">{e(t)}</a>' if link else e(t)
        return f"<li><b>{title}</b> on {e(b or 'your board')}: {e(d)} (status {e(s)})</li>"

    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p><p>These tasks of yours need attention:</p><ul>"
        + "".join(item_html(*item) for item in items)
        + f'</ul><hr><p style="color:#666;font-size:small">{e(footer)}</p></body></html>'
    )
    return RenderedMail(to_email, name, subject, "\n".join(lines), body_html)


def build_mime(
    mail: RenderedMail, mail_from: str, *, event_id: str | None = None, now: datetime | None = None
) -> bytes:
    """multipart/alternative (plain text, then HTML), quoted-printable UTF-8."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = mail_from
    try:
        msg["To"] = Address(display_name=mail.to_name, addr_spec=mail.to_email)
    except (ValueError, IndexError, TypeError):
        msg["To"] = mail.to_email
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or "taskboard.local")
    if event_id:
        msg["X-Taskboard-Event-Id"] = event_id
    msg.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return msg.as_bytes()


# The SES configuration set every send names (deploy/mail.tf): its bounces and
# complaints come back as suppressions (notify/suppression.py) and count in the
# reputation alarms.  From the environment, as the Lambda's other settings are.
CONFIGURATION_SET_ENV = "TASKBOARD_SES_CONFIGURATION_SET"


def send_mail(ses: Any, mail: RenderedMail, mail_from: str, *, event_id: str | None = None) -> str:
    extra: dict[str, str] = {}
    if configuration_set := os.environ.get(CONFIGURATION_SET_ENV):
        extra["ConfigurationSetName"] = configuration_set
    resp = ses.send_raw_email(Source=mail_from, RawMessage={"Data": build_mime(mail, mail_from, event_id=event_id)},
                              **extra)
    return str(resp.get("MessageId", ""))


# A marker that went `sending` and was never confirmed as sent (its sender crashed,
# or lost the answer of its send) may be taken over after this long.  It must
# outlast one send (the clients' connect and read timeouts) and stay well inside
# the time a queue keeps retrying a message (local queue: visibility 60 s x
# maxReceiveCount 5).
STALE_CLAIM_SECONDS = 120
# A marker still `claimed` (its sender never began to send) may be taken over after
# this long: far more than the moment between a claim and its send.
CLAIM_TIMEOUT_SECONDS = 30

# Clients that send (SES, SNS): no SDK retries, because a retry after an answer
# that was lost is a second mail.  `deliver` retries only failures that prove
# nothing was sent.
SEND_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "total_max_attempts": 1})
SEND_ATTEMPTS = 3


class DeliveryInProgress(Exception):
    """Another attempt holds a live claim on this delivery that it has not confirmed:
    it may be sending right now, or it died after sending.  Retry later: the claim
    is either confirmed (nothing to do) or taken over once stale."""


def nothing_sent(exc: BaseException) -> bool:
    """True when a send's exception proves the message did not go out: the service
    answered with an error, or no connection was made.  A broken connection or a
    read timeout after the request was written leaves the outcome unknown."""
    return isinstance(exc, ClientError | BotoConnectionError)


def claim_marker(dynamodb: Any, table: str, pk: str, sk: str, attributes: Mapping[str, str | int],
                 *, now: float | None = None) -> str | None:
    """Claim one delivery (an email or SMS to one recipient for one event, a reminder
    for one task and day): this attempt's token when it is ours to send, None when
    it was sent.  Raises `DeliveryInProgress` when another attempt holds a live
    claim that is not confirmed.

    The marker carries the token and stays `claimed` until `begin_send` and
    `confirm_marker` move it on.  The SDK retries a put whose answer was lost; that
    retry fails its own condition, so the old item is read back with the failure
    and a marker holding our token is ours.  When the answer is lost for good, the
    marker is read back once more.  A claim older than CLAIM_TIMEOUT_SECONDS that
    never began to send, or a send older than STALE_CLAIM_SECONDS and never
    confirmed, is taken over."""
    now = time.time() if now is None else now
    token = uuid.uuid4().hex
    key = {"PK": {"S": pk}, "SK": {"S": sk}}
    item: dict[str, Any] = dict(key)
    for name, value in attributes.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    item.update(State={"S": "claimed"}, Token={"S": token}, ClaimedAt={"N": str(int(now))})
    try:
        dynamodb.put_item(
            TableName=table,
            Item=item,
            ConditionExpression=("attribute_not_exists(PK) OR (#state = :claimed AND ClaimedAt < :idle) "
                                 "OR (#state = :sending AND ClaimedAt < :stale)"),
            ExpressionAttributeNames={"#state": "State"},
            ExpressionAttributeValues={":claimed": {"S": "claimed"}, ":sending": {"S": "sending"},
                                       ":idle": {"N": str(int(now) - CLAIM_TIMEOUT_SECONDS)},
                                       ":stale": {"N": str(int(now) - STALE_CLAIM_SECONDS)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        old = exc.response.get("Item") or {}
    except Exception:
        # No answer: did the put land?  Nothing there means nothing claimed (raise,
        # the redelivery claims afresh); our token means the claim is ours.
        try:
            old = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
        except Exception:
            old = {}
        if not old:
            raise
    else:
        return token
    if old.get("Token", {}).get("S") == token:
        return token  # our own put, retried or read back
    if old.get("State", {}).get("S") in ("claimed", "sending"):
        raise DeliveryInProgress(f"{pk} {sk} is claimed by another attempt, not yet confirmed")
    return None


def begin_send(dynamodb: Any, table: str, pk: str, sk: str, token: str) -> None:
    """Mark our claim `sending`, just before the send: from here on a failure may
    leave a sent mail behind, and its staleness counts from now.  Raises
    `DeliveryInProgress` when the claim is no longer ours (taken over after
    CLAIM_TIMEOUT_SECONDS): then nothing is sent."""
    now = time.time()
    try:
        dynamodb.update_item(
            TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}},
            UpdateExpression="SET #state = :sending, ClaimedAt = :now",
            ConditionExpression="#state = :claimed AND #token = :token",
            ExpressionAttributeNames={"#state": "State", "#token": "Token"},
            ExpressionAttributeValues={":sending": {"S": "sending"}, ":claimed": {"S": "claimed"},
                                       ":token": {"S": token}, ":now": {"N": str(int(now))}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise DeliveryInProgress(f"{pk} {sk}: the claim was taken over before the send") from None
        raise


def confirm_marker(dynamodb: Any, table: str, pk: str, sk: str) -> None:
    """The delivery went out: nobody takes this claim over any more."""
    dynamodb.update_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}},
                         UpdateExpression="SET #state = :sent", ExpressionAttributeNames={"#state": "State"},
                         ExpressionAttributeValues={":sent": {"S": "sent"}})


def release_marker(dynamodb: Any, table: str, pk: str, sk: str) -> None:
    dynamodb.delete_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}})


# Deliveries this process sent but could not mark `sent` (DynamoDB away at that
# moment).  When their event comes back (another recipient of it failed), they are
# confirmed instead of waiting out STALE_CLAIM_SECONDS and being sent again, as the
# soak saw once in 1,005 mails.  Process memory only: another process, or a cold
# Lambda, still finds a `sending` marker and sends again once it is stale.
_UNCONFIRMED: OrderedDict[tuple[str, str, str], None] = OrderedDict()
_UNCONFIRMED_MAX = 10_000
_unconfirmed_lock = threading.Lock()


def _confirm(dynamodb: Any, table: str, pk: str, sk: str) -> None:
    # Sent is sent: a failed confirmation must not fail the event.
    try:
        confirm_marker(dynamodb, table, pk, sk)
    except Exception:
        log.warning("could not confirm %s %s as sent", pk, sk, exc_info=True)
        with _unconfirmed_lock:
            _UNCONFIRMED[(table, pk, sk)] = None
            if len(_UNCONFIRMED) > _UNCONFIRMED_MAX:
                _UNCONFIRMED.popitem(last=False)


def _sent_unconfirmed(dynamodb: Any, table: str, pk: str, sk: str) -> bool:
    """True when this process sent the delivery and has now marked it `sent`; raises
    when the marker still cannot be written (the event waits for the next try)."""
    with _unconfirmed_lock:
        if (table, pk, sk) not in _UNCONFIRMED:
            return False
    confirm_marker(dynamodb, table, pk, sk)
    with _unconfirmed_lock:
        _UNCONFIRMED.pop((table, pk, sk), None)
    return True


def suppressed_recipient(dynamodb: Any, table: str, address: str, counts: dict[str, int]) -> bool:
    """True (and counted) when `address` hard-bounced or complained: no mail to it.
    When the record cannot be read the mail goes: SES's account-level suppression
    list still drops it if the address is on it, and a mail is not lost to a read."""
    try:
        if not is_suppressed(dynamodb, table, address):
            return False
    except Exception as exc:
        log.warning("could not read the suppression of a recipient (%s); sending", type(exc).__name__)
        return False
    counts["suppressed"] = counts.get("suppressed", 0) + 1
    return True


def _detail(event: Mapping[str, Any]) -> dict[str, Any]:
    detail = event.get("detail")
    if isinstance(detail, str):
        detail = json.loads(detail)
    return dict(detail) if isinstance(detail, Mapping) else {}


def handle_event(
    event: Mapping[str, Any],
    *,
    ses: Any,
    sns: Any,
    dynamodb: Any,
    table: str,
    mail_from: str,
    dedup_ttl_days: int = 30,
    now: datetime | None = None,
) -> dict[str, int]:
    """Mail (and text) the recipients of one task event.  Returns
    {"sent": emails sent, "skipped": deliveries already done before, "sms": SMS sent}.
    Member events and foreign events are ignored (all zero)."""
    if event.get("source") == SES_SOURCE:  # a bounce or complaint (deploy/mail.tf's rule)
        return {"suppressed": record_feedback(event, dynamodb=dynamodb, table=table)}
    counts = {"sent": 0, "skipped": 0, "sms": 0}
    detail_type = str(event.get("detail-type") or event.get("DetailType") or "")
    if event.get("source", SOURCE) == SOURCE and detail_type in ACCOUNT_MAIL_DETAIL_TYPES + MEMBER_MAIL_DETAIL_TYPES:
        from notify.account_mail import handle_account_event  # it builds on this module

        detail = {**_detail(event), "detailType": detail_type}
        return handle_account_event(detail, ses=ses, sns=sns, dynamodb=dynamodb, table=table, mail_from=mail_from,
                                    dedup_ttl_days=dedup_ttl_days, now=now)
    if event.get("source", SOURCE) != SOURCE or (detail_type and detail_type not in BOARD_MAIL_DETAIL_TYPES):
        return counts
    detail = _detail(event)
    detail_type = detail_type or str(detail.get("detailType") or "")
    if detail_type not in BOARD_MAIL_DETAIL_TYPES:
        return counts
    detail.setdefault("detailType", detail_type)
    event_id = str(detail.get("eventId") or event.get("id") or "")
    if not event_id:
        raise ValueError("task event without an eventId")
    moment = now or datetime.now(UTC)
    expires = int(moment.timestamp()) + dedup_ttl_days * 86400
    sent_at = iso(moment)
    pk = f"MAIL#{event_id}"
    errors: list[BaseException] = []

    def deliver(kind: str, to: str, subject: str, text: str, send: Callable[[], object], user_id: Any) -> str:
        """`send_one` in a span continuing the change's trace, and its log line."""
        started = time.monotonic()
        outcome = "error"
        with tracing.span("mail.send", detail.get("traceparent"), {
                "taskboard.event_id": event_id, "taskboard.detail_type": detail_type, "taskboard.channel": kind,
                "taskboard.recipient_id": str(user_id or "")}) as span:
            try:
                outcome = send_one(kind, to, subject, text, send)
                return outcome
            except Exception as exc:
                outcome = f"error: {type(exc).__name__}"
                raise
            finally:
                log.info("mail delivery", extra={
                    "event_id": event_id, "detail_type": detail_type, "channel": kind, "user_id": user_id,
                    "outcome": outcome, "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    "trace_id": tracing.trace_id(span)})

    def send_one(kind: str, to: str, subject: str, text: str, send: Callable[[], object]) -> str:
        """Claim, send, confirm one delivery: 'sent' or 'skipped'.  A send that
        failed for sure is retried, then its claim released and the error raised;
        a send with an unknown outcome keeps its claim (see the module's doc)."""
        sk = f"{to}#{kind}"
        if _sent_unconfirmed(dynamodb, table, pk, sk):
            return "skipped"
        attributes: dict[str, str | int] = {"ExpiresAt": expires, "Kind": kind, "EventId": event_id, "To": to,
                                            "Subject": subject, "Text": text, "SentAt": sent_at}
        token = claim_marker(dynamodb, table, pk, sk, attributes, now=moment.timestamp())
        if token is None:
            return "skipped"
        begin_send(dynamodb, table, pk, sk, token)
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                send()
                break
            except Exception as exc:
                if not nothing_sent(exc):
                    log.warning("%s to %s for event %s: outcome unknown (%s); its marker stays 'sending', "
                                "so it is not sent again unless that goes stale (%d s)",
                                kind, to, event_id, exc, STALE_CLAIM_SECONDS)
                    raise
                if attempt == SEND_ATTEMPTS:
                    release_marker(dynamodb, table, pk, sk)
                    raise
                time.sleep(0.2 * 2**attempt)
        _confirm(dynamodb, table, pk, sk)
        return "sent"

    for rcpt in detail.get("recipients") or []:
        if not isinstance(rcpt, Mapping):
            continue
        address = rcpt.get("email")
        if rcpt.get("sendEmail") and address and not suppressed_recipient(dynamodb, table, str(address), counts):
            mail = render_mail(detail, rcpt)
            try:
                done = deliver("email", str(address), mail.subject, mail.text,
                               partial(send_mail, ses, mail, mail_from, event_id=event_id), rcpt.get("userId"))
                counts["sent" if done == "sent" else "skipped"] += 1
            except Exception as exc:
                errors.append(exc)
        number = rcpt.get("smsNumber")
        if number:
            text = sms_text(detail, rcpt)
            try:
                done = deliver("sms", str(number), "", text,
                               partial(sns.publish, PhoneNumber=str(number), Message=text), rcpt.get("userId"))
                counts["sms" if done == "sent" else "skipped"] += 1
            except Exception as exc:
                errors.append(exc)
    if errors:
        raise errors[0]
    return counts
