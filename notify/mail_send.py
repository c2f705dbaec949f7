"""Sending: a rendered mail as MIME through SES (`send_mail`), and what a send's
failure proves.  The SES and SNS clients must not retry sends themselves
(`SEND_CONFIG`): a retry after a lost answer is a second mail.  Standard library
and botocore only: it ships in the mailer Lambda."""

from __future__ import annotations

import email.policy
import os
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from notify.task_mail import RenderedMail

__all__ = ["CONFIGURATION_SET_ENV", "SEND_CONFIG", "BotoConnectionError", "build_mime", "nothing_sent", "send_mail"]

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


# Clients that send (SES, SNS): no SDK retries, because a retry after an answer
# that was lost is a second mail.  `deliver` retries only failures that prove
# nothing was sent.
SEND_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "total_max_attempts": 1})


def nothing_sent(exc: BaseException) -> bool:
    """True when a send's exception proves the message did not go out: the service
    answered with an error, or no connection was made.  A broken connection or a
    read timeout after the request was written leaves the outcome unknown."""
    return isinstance(exc, ClientError | BotoConnectionError)
