"""Addresses that must get no more mail: a hard bounce or a complaint.

SES publishes the bounces and complaints of the configuration set every send
names (deploy/mail.tf) to EventBridge; a rule hands them to the mailer Lambda,
which records each address here, in the activity table (`SUPPRESSED#<address>`,
`EMAIL`).  Every mail path asks before it sends (`is_suppressed`), and the API
shows the viewer theirs (NotificationSettings.emailSuppressed).  Why a record of
our own and not only SES's account-level suppression list (which deploy/ also
turns on): GetSuppressedDestination is a slow, low-rate management call, while
this is one GetItem on a table every one of those paths already uses.

Standard library and boto3 only: it runs in the Lambda too."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SES_SOURCE = "aws.ses"
BOUNCE = "BOUNCE"
COMPLAINT = "COMPLAINT"
log = logging.getLogger("taskboard.notify.suppression")


def _key(address: str) -> dict[str, dict[str, str]]:
    return {"PK": {"S": f"SUPPRESSED#{address.strip().lower()}"}, "SK": {"S": "EMAIL"}}


@dataclass(frozen=True)
class Suppression:
    address: str
    reason: str  # BOUNCE or COMPLAINT
    at: str


def feedback_of(event: Mapping[str, Any]) -> list[Suppression]:
    """The addresses an SES EventBridge event says to stop mailing: every recipient
    of a permanent bounce or of a complaint.  Nothing for a transient bounce (a full
    mailbox may take mail tomorrow) or for any other event."""
    if event.get("source") != SES_SOURCE:
        return []
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        return []
    kind = str(detail.get("eventType") or detail.get("notificationType") or "")
    at = str(event.get("time") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    if kind == "Bounce":
        bounce = detail.get("bounce")
        if not isinstance(bounce, Mapping) or bounce.get("bounceType") != "Permanent":
            return []
        recipients, reason = bounce.get("bouncedRecipients"), BOUNCE
    elif kind == "Complaint":
        complaint = detail.get("complaint")
        recipients, reason = (complaint.get("complainedRecipients") if isinstance(complaint, Mapping) else None,
                              COMPLAINT)
    else:
        return []
    out = []
    for rcpt in recipients or []:
        address = rcpt.get("emailAddress") if isinstance(rcpt, Mapping) else None
        if isinstance(address, str) and "@" in address:
            out.append(Suppression(address.strip().lower(), reason, at))
    return out


def record_feedback(event: Mapping[str, Any], *, dynamodb: Any, table: str) -> int:
    """Record the suppressions one SES event carries; how many."""
    found = feedback_of(event)
    for s in found:
        dynamodb.put_item(TableName=table, Item={**_key(s.address), "Reason": {"S": s.reason},
                                                 "At": {"S": s.at}, "Address": {"S": s.address}})
        log.info("mail to an address suppressed after a %s", s.reason.lower())
    return len(found)


def _reason(item: Mapping[str, Any] | None) -> str | None:
    reason = (item or {}).get("Reason")
    return str(reason.get("S")) if isinstance(reason, Mapping) and reason.get("S") else None


def suppression_reason(dynamodb: Any, table: str, address: str) -> str | None:
    """BOUNCE or COMPLAINT when `address` must get no more mail, else None."""
    return _reason(dynamodb.get_item(TableName=table, Key=_key(address)).get("Item"))


def is_suppressed(dynamodb: Any, table: str, address: str) -> bool:
    return suppression_reason(dynamodb, table, address) is not None


async def suppression_reason_async(client: Any, table: str, address: str) -> str | None:
    """The same read with an aiobotocore DynamoDB client (the API server)."""
    resp = await client.get_item(TableName=table, Key=_key(address))
    return _reason(resp.get("Item"))


class SuppressionReader:
    """The API server's view of the suppressions (NotificationSettings.emailSuppressed)."""

    def __init__(self, aws_session: Any, *, table: str, endpoint_url: str | None, region: str,
                 client_config: Any = None) -> None:
        self._aws_session = aws_session
        self.table = table
        self._kw: dict[str, Any] = {"endpoint_url": endpoint_url, "region_name": region}
        if client_config is not None:
            self._kw["config"] = client_config

    async def reason(self, address: str) -> str | None:
        """BOUNCE, COMPLAINT or None; None too when DynamoDB cannot be read (the
        settings still answer; the mailer checks again before every send)."""
        try:
            async with self._aws_session.client("dynamodb", **self._kw) as ddb:
                return await suppression_reason_async(ddb, self.table, address)
        except Exception as exc:
            log.warning("could not read a mail suppression: %s", type(exc).__name__)
            return None
