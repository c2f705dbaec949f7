"""The idempotency ledger of mail deliveries: one marker per (event, recipient,
channel) in the activity table, `claimed` -> `sending` -> `sent` (see
`notify.mailer` for why), and the suppression check before a mail.  Standard
library and botocore only: it ships in the mailer Lambda."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from notify.suppression import is_suppressed

log = logging.getLogger("taskboard.notify.mailer")

# A marker that went `sending` and was never confirmed as sent (its sender crashed,
# or lost the answer of its send) may be taken over after this long.  It must
# outlast one send (the clients' connect and read timeouts) and stay well inside
# the time a queue keeps retrying a message (local queue: visibility 60 s x
# maxReceiveCount 5).
STALE_CLAIM_SECONDS = 120
# A marker still `claimed` (its sender never began to send) may be taken over after
# this long: far more than the moment between a claim and its send.
CLAIM_TIMEOUT_SECONDS = 30


class DeliveryInProgress(Exception):
    """Another attempt holds a live claim on this delivery that it has not confirmed:
    it may be sending right now, or it died after sending.  Retry later: the claim
    is either confirmed (nothing to do) or taken over once stale."""


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
