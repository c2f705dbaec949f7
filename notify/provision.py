"""Create the AWS resources the pipeline needs when they are missing: the
activity table, the event bus and its rule, the notify queue (with a DLQ) and the
SES sender identity.  For local emulators and dev accounts; Terraform owns them in
production.  Idempotent: a second call creates and changes nothing."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from models.events import MAIL_DETAIL_TYPES, SOURCE

MAX_RECEIVE_COUNT = 5


def rule_name(bus: str) -> str:
    return f"{bus}-task-changes"


def event_pattern() -> dict[str, Any]:
    return {"source": [SOURCE], "detail-type": list(MAIL_DETAIL_TYPES)}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


async def provision(
    aws_session: Any,
    *,
    endpoint_url: str | None,
    region: str,
    table: str,
    bus: str,
    queue: str,
    mail_from: str,
) -> dict[str, Any]:
    """Returns {"table", "table_arn", "bus", "bus_arn", "rule", "rule_arn", "queue_url",
    "queue_arn", "dlq_url", "dlq_arn", "mail_from", "created": [what this call created
    or changed]}."""
    created: list[str] = []
    kw = {"endpoint_url": endpoint_url, "region_name": region}
    out: dict[str, Any] = {"table": table, "bus": bus, "mail_from": mail_from}
    async with aws_session.client("dynamodb", **kw) as ddb:
        out["table_arn"] = await _ensure_table(ddb, table, created)
    async with aws_session.client("sqs", **kw) as sqs:
        out.update(await _ensure_queues(sqs, queue, created))
    async with aws_session.client("events", **kw) as events:
        out.update(await _ensure_bus_and_rule(events, bus, out["queue_arn"], created))
    async with aws_session.client("sqs", **kw) as sqs:
        await _ensure_queue_policy(sqs, out["queue_url"], out["queue_arn"], out["dlq_arn"], out["rule_arn"], created)
    async with aws_session.client("ses", **kw) as ses:
        identities = (await ses.list_identities(IdentityType="EmailAddress")).get("Identities", [])
        if mail_from not in identities:
            await ses.verify_email_identity(EmailAddress=mail_from)
            created.append("ses_identity")
    out["created"] = created
    return out


_TABLE_SHAPE: dict[str, Any] = {
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [
        {"AttributeName": "PK", "AttributeType": "S"},
        {"AttributeName": "SK", "AttributeType": "S"},
        {"AttributeName": "TaskPK", "AttributeType": "S"},
    ],
    "KeySchema": [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "ByTask",
            "KeySchema": [
                {"AttributeName": "TaskPK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
}


async def _ensure_table(ddb: Any, table: str, created: list[str]) -> str:
    """The activity table (with its TTL on ExpiresAt); its ARN."""
    try:
        desc = (await ddb.describe_table(TableName=table))["Table"]
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        desc = (await ddb.create_table(TableName=table, **_TABLE_SHAPE))["TableDescription"]
        created.append("table")
        waiter = ddb.get_waiter("table_exists")
        await waiter.wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ttl = (await ddb.describe_time_to_live(TableName=table))["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        await ddb.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ExpiresAt"}
        )
        created.append("table_ttl")
    return str(desc["TableArn"])


async def _queue_arn(sqs: Any, url: str) -> str:
    return str((await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"])


async def _ensure_queues(sqs: Any, queue: str, created: list[str]) -> dict[str, str]:
    """The notify queue and its DLQ: queue_url, queue_arn, dlq_url, dlq_arn."""
    dlq_url, dlq_new = await _ensure_queue(sqs, f"{queue}-dlq", {"MessageRetentionPeriod": "1209600"})
    if dlq_new:
        created.append("dlq")
    dlq_arn = await _queue_arn(sqs, dlq_url)
    queue_url, queue_new = await _ensure_queue(sqs, queue, {"VisibilityTimeout": "60"})
    if queue_new:
        created.append("queue")
    queue_arn = await _queue_arn(sqs, queue_url)
    return {"queue_url": queue_url, "queue_arn": queue_arn, "dlq_url": dlq_url, "dlq_arn": dlq_arn}


async def _ensure_bus_and_rule(events: Any, bus: str, queue_arn: str, created: list[str]) -> dict[str, Any]:
    """The bus, its mail rule and the rule's queue target: bus_arn, rule, rule_arn."""
    try:
        bus_desc = await events.describe_event_bus(Name=bus)
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        bus_desc = await events.create_event_bus(Name=bus)
        created.append("bus")
    name = rule_name(bus)
    pattern = event_pattern()
    try:
        rule = await events.describe_rule(Name=name, EventBusName=bus)
        same = json.loads(rule.get("EventPattern") or "{}") == pattern and rule.get("State") == "ENABLED"
    except ClientError as exc:
        if _code(exc) != "ResourceNotFoundException":
            raise
        rule, same = None, False
    if not same:
        put = await events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED",
                                    Description="Task changes to the taskboard mailer")
        rule_arn = put["RuleArn"]
        created.append("rule")
    else:
        assert rule is not None
        rule_arn = rule["Arn"]
    targets = (await events.list_targets_by_rule(Rule=name, EventBusName=bus)).get("Targets", [])
    if not any(t.get("Arn") == queue_arn for t in targets):
        resp = await events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "notify-queue", "Arn": queue_arn}])
        if resp.get("FailedEntryCount"):
            raise RuntimeError(f"put_targets failed: {resp.get('FailedEntries')}")
        created.append("rule_target")
    return {"bus_arn": bus_desc.get("Arn") or bus_desc.get("EventBusArn"), "rule": name, "rule_arn": rule_arn}


async def _ensure_queue_policy(sqs: Any, queue_url: str, queue_arn: str, dlq_arn: str, rule_arn: str,
                               created: list[str]) -> None:
    """The queue's redrive to the DLQ, and the rule's right to send to it."""
    wanted = {
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
        "Policy": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AllowTaskboardBus",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue_arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                    }
                ],
            }
        ),
    }
    current = (await sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy", "Policy"])).get(
        "Attributes", {}
    )
    changed = {k: v for k, v in wanted.items() if _json_or(current.get(k)) != json.loads(v)}
    if changed:
        await sqs.set_queue_attributes(QueueUrl=queue_url, Attributes=changed)
        created.extend(f"queue_{k.lower()}" for k in sorted(changed))


def _json_or(value: str | None) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return value


async def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, bool]:
    try:
        return (await sqs.get_queue_url(QueueName=name))["QueueUrl"], False
    except ClientError as exc:
        if _code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise
    return (await sqs.create_queue(QueueName=name, Attributes=attributes))["QueueUrl"], True
