"""AWS Lambda entry point of the mailer (standard library and boto3 only).

Invoked by the EventBridge rule with one event, or by an SQS event source with a
batch of EventBridge events in the records' bodies (then it reports the failed
records in `batchItemFailures`, so only those are retried).

Environment: TASKBOARD_ACTIVITY_TABLE (default taskboard-activity),
TASKBOARD_MAIL_FROM (default noreply@taskboard.local); boto3 itself honours
AWS_REGION and AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import boto3

from notify import mailer

log = logging.getLogger("taskboard.notify.lambda")
log.setLevel(logging.INFO)

_clients: dict[str, Any] = {}


def _client(service: str) -> Any:
    # Built once per container and reused across invocations.
    # The sending clients never retry on their own (mailer.SEND_CONFIG).
    if service not in _clients:
        config = mailer.SEND_CONFIG if service in ("ses", "sns") else None
        _clients[service] = boto3.client(service, config=config)
    return _clients[service]


def _handle_one(event: dict[str, Any]) -> dict[str, int]:
    return mailer.handle_event(
        event,
        ses=_client("ses"),
        sns=_client("sns"),
        dynamodb=_client("dynamodb"),
        table=os.environ.get("TASKBOARD_ACTIVITY_TABLE", "taskboard-activity"),
        mail_from=os.environ.get("TASKBOARD_MAIL_FROM", "noreply@taskboard.local"),
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records")
    if isinstance(records, list):
        failures = []
        totals = {"sent": 0, "skipped": 0, "sms": 0}
        for record in records:
            message_id = record.get("messageId") or record.get("MessageId") or ""
            try:
                body = record.get("body", record.get("Body"))
                inner = json.loads(body) if isinstance(body, str) else body
                result = _handle_one(inner)
                for key in totals:
                    totals[key] += result.get(key, 0)
            except Exception:
                log.exception("mail for SQS record %s failed", message_id)
                failures.append({"itemIdentifier": message_id})
        return {"batchItemFailures": failures, **totals}
    # A direct EventBridge invocation: an exception makes Lambda retry the event.
    result = _handle_one(event)
    log.info(
        "event %s (%s): %s",
        (event.get("detail") or {}).get("eventId") if isinstance(event.get("detail"), dict) else None,
        event.get("detail-type"),
        result,
    )
    return dict(result)
