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

Rooms: this module routes an event and runs the claim-send-confirm of each
delivery; the words are in `notify.task_mail`, `notify.comment_mail` and
`notify.account_mail`, the SES call in `notify.mail_send`, the markers in
`notify.mail_ledger`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

from models import tracing
from models.events import (
    ACCOUNT_MAIL_DETAIL_TYPES,
    COMMENT_MAIL_DETAIL_TYPES,
    MEMBER_MAIL_DETAIL_TYPES,
    SOURCE,
    TASK_MAIL_DETAIL_TYPES,
    decode_event,
    iso,
)
from notify.comment_mail import render_comment_mail
from notify.mail_ledger import (
    CLAIM_TIMEOUT_SECONDS,
    STALE_CLAIM_SECONDS,
    DeliveryInProgress,
    begin_send,
    claim_marker,
    confirm_marker,
    release_marker,
    suppressed_recipient,
)
from notify.mail_send import SEND_CONFIG, BotoConnectionError, build_mime, nothing_sent, send_mail
from notify.suppression import SES_SOURCE, record_feedback
from notify.task_mail import RenderedMail, deadline_reminder_mail, render_task_mail, sms_text, subject_for

# What callers (the worker, the Lambda, reminders, tests) reach through this module.
__all__ = [
    "CLAIM_TIMEOUT_SECONDS", "SEND_ATTEMPTS", "SEND_CONFIG", "STALE_CLAIM_SECONDS", "BotoConnectionError",
    "DeliveryInProgress", "RenderedMail", "begin_send", "build_mime", "claim_marker", "confirm_marker",
    "deadline_reminder_mail", "handle_event", "nothing_sent", "release_marker", "render_mail", "render_task_mail",
    "send_mail", "send_retrying", "sms_text", "subject_for", "suppressed_recipient",
]

log = logging.getLogger("taskboard.notify.mailer")

TASK_DETAIL_TYPES = frozenset(TASK_MAIL_DETAIL_TYPES)
# Board changes that mail the recipients their event names: task changes, new comments.
BOARD_MAIL_DETAIL_TYPES = TASK_DETAIL_TYPES | frozenset(COMMENT_MAIL_DETAIL_TYPES)
SEND_ATTEMPTS = 3


def render_mail(detail: Mapping[str, Any], recipient: Mapping[str, Any]) -> RenderedMail:
    """The template of the event's kind."""
    if detail.get("detailType") in COMMENT_MAIL_DETAIL_TYPES:
        return render_comment_mail(detail, recipient)
    return render_task_mail(detail, recipient)


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


def _detail(event: Mapping[str, Any]) -> dict[str, Any]:
    return dict(decode_event(event.get("detail")))


def _board_detail(event: Mapping[str, Any], detail_type: str) -> tuple[dict[str, Any], str] | None:
    """The detail of a board event that mails, and its detail type; None for others."""
    if event.get("source", SOURCE) != SOURCE or (detail_type and detail_type not in BOARD_MAIL_DETAIL_TYPES):
        return None
    detail = _detail(event)
    detail_type = detail_type or str(detail.get("detailType") or "")
    if detail_type not in BOARD_MAIL_DETAIL_TYPES:
        return None
    detail.setdefault("detailType", detail_type)
    return detail, detail_type


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
    detail_type = str(event.get("detail-type") or event.get("DetailType") or "")
    if event.get("source", SOURCE) == SOURCE and detail_type in ACCOUNT_MAIL_DETAIL_TYPES + MEMBER_MAIL_DETAIL_TYPES:
        from notify.account_mail import handle_account_event  # it builds on this module

        detail = {**_detail(event), "detailType": detail_type}
        return handle_account_event(detail, ses=ses, sns=sns, dynamodb=dynamodb, table=table, mail_from=mail_from,
                                    dedup_ttl_days=dedup_ttl_days, now=now)
    found = _board_detail(event, detail_type)
    if found is None:
        return {"sent": 0, "skipped": 0, "sms": 0}
    detail, detail_type = found
    event_id = str(detail.get("eventId") or event.get("id") or "")
    if not event_id:
        raise ValueError("task event without an eventId")
    return _BoardMail(detail, detail_type, event_id, dynamodb, table, dedup_ttl_days, now).run(ses, sns, mail_from)


class _BoardMail:
    """The deliveries of one board event: per recipient an email and an SMS, each
    claimed, sent and confirmed in the ledger (see the module's doc)."""

    def __init__(self, detail: dict[str, Any], detail_type: str, event_id: str, dynamodb: Any, table: str,
                 dedup_ttl_days: int, now: datetime | None) -> None:
        self.detail = detail
        self.detail_type = detail_type
        self.event_id = event_id
        self.dynamodb = dynamodb
        self.table = table
        self.moment = now or datetime.now(UTC)
        self.expires = int(self.moment.timestamp()) + dedup_ttl_days * 86400
        self.sent_at = iso(self.moment)
        self.pk = f"MAIL#{event_id}"

    def run(self, ses: Any, sns: Any, mail_from: str) -> dict[str, int]:
        counts = {"sent": 0, "skipped": 0, "sms": 0}
        errors: list[BaseException] = []
        for rcpt in self.detail.get("recipients") or []:
            if not isinstance(rcpt, Mapping):
                continue
            address = rcpt.get("email")
            if rcpt.get("sendEmail") and address and not suppressed_recipient(self.dynamodb, self.table,
                                                                               str(address), counts):
                mail = render_mail(self.detail, rcpt)
                try:
                    done = self.deliver("email", str(address), mail.subject, mail.text,
                                        partial(send_mail, ses, mail, mail_from, event_id=self.event_id),
                                        rcpt.get("userId"))
                    counts["sent" if done == "sent" else "skipped"] += 1
                except Exception as exc:
                    errors.append(exc)
            number = rcpt.get("smsNumber")
            if number:
                text = sms_text(self.detail, rcpt)
                try:
                    done = self.deliver("sms", str(number), "", text,
                                        partial(sns.publish, PhoneNumber=str(number), Message=text),
                                        rcpt.get("userId"))
                    counts["sms" if done == "sent" else "skipped"] += 1
                except Exception as exc:
                    errors.append(exc)
        if errors:
            raise errors[0]
        return counts

    def deliver(self, kind: str, to: str, subject: str, text: str, send: Callable[[], object], user_id: Any) -> str:
        """`send_one` in a span continuing the change's trace, and its log line."""
        started = time.monotonic()
        outcome = "error"
        with tracing.span("mail.send", self.detail.get("traceparent"), {
                "taskboard.event_id": self.event_id, "taskboard.detail_type": self.detail_type,
                "taskboard.channel": kind, "taskboard.recipient_id": str(user_id or "")}) as span:
            try:
                outcome = self.send_one(kind, to, subject, text, send)
                return outcome
            except Exception as exc:
                outcome = f"error: {type(exc).__name__}"
                raise
            finally:
                log.info("mail delivery", extra={
                    "event_id": self.event_id, "detail_type": self.detail_type, "channel": kind,
                    "user_id": user_id, "outcome": outcome,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1), "trace_id": tracing.trace_id(span)})

    def send_one(self, kind: str, to: str, subject: str, text: str, send: Callable[[], object]) -> str:
        """Claim, send, confirm one delivery: 'sent' or 'skipped'."""
        sk = f"{to}#{kind}"
        if _sent_unconfirmed(self.dynamodb, self.table, self.pk, sk):
            return "skipped"
        attributes: dict[str, str | int] = {"ExpiresAt": self.expires, "Kind": kind, "EventId": self.event_id,
                                            "To": to, "Subject": subject, "Text": text, "SentAt": self.sent_at}
        token = claim_marker(self.dynamodb, self.table, self.pk, sk, attributes, now=self.moment.timestamp())
        if token is None:
            return "skipped"
        begin_send(self.dynamodb, self.table, self.pk, sk, token)
        self._send(kind, to, sk, send)
        _confirm(self.dynamodb, self.table, self.pk, sk)
        return "sent"

    def _send(self, kind: str, to: str, sk: str, send: Callable[[], object]) -> None:
        def unknown(exc: BaseException) -> None:
            log.warning("%s to %s for event %s: outcome unknown (%s); its marker stays 'sending', "
                        "so it is not sent again unless that goes stale (%d s)",
                        kind, to, self.event_id, exc, STALE_CLAIM_SECONDS)

        send_retrying(send, partial(release_marker, self.dynamodb, self.table, self.pk, sk), unknown)


def send_retrying(send: Callable[[], object], release: Callable[[], None],
                  unknown: Callable[[BaseException], None] | None = None) -> None:
    """A send that failed for sure is retried (SEND_ATTEMPTS in all), then its claim
    released (`release`) and the error raised; a send with an unknown outcome keeps
    its claim (`unknown` hears of it) and raises at once."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            send()
            return
        except Exception as exc:
            if not nothing_sent(exc):
                if unknown is not None:
                    unknown(exc)
                raise
            if attempt == SEND_ATTEMPTS:
                release()
                raise
            time.sleep(0.2 * 2**attempt)
