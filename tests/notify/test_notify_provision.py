"""provision() creates everything once; a second call creates and changes nothing."""

from __future__ import annotations

import json

from notify_testkit import REGION, AwsEnv

from models.events import MAIL_DETAIL_TYPES
from notify.provision import provision, rule_name


async def test_provision_creates_everything_once(aws: AwsEnv) -> None:
    first = aws.resources
    assert set(first["created"]) >= {
        "table",
        "table_ttl",
        "queue",
        "dlq",
        "bus",
        "rule",
        "rule_target",
        "ses_identity",
    } - {
        "ses_identity"  # the sender may already be verified by an earlier test
    }
    again = await provision(
        aws.session,
        endpoint_url=aws.endpoint_url,
        region=REGION,
        table=aws.table,
        bus=aws.bus,
        queue=aws.queue,
        mail_from=aws.mail_from,
    )
    assert again["created"] == []
    for key in ("queue_url", "queue_arn", "dlq_url", "dlq_arn", "bus_arn", "rule_arn", "table_arn"):
        assert again[key] == first[key]

    ddb = aws.client("dynamodb")
    table = ddb.describe_table(TableName=aws.table)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"PK": "HASH", "SK": "RANGE"}
    (gsi,) = table["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "ByTask"
    assert [k["AttributeName"] for k in gsi["KeySchema"]] == ["TaskPK", "SK"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName=aws.table)["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED" and ttl["AttributeName"] == "ExpiresAt"

    sqs = aws.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attrs["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == first["dlq_arn"] and int(redrive["maxReceiveCount"]) == 5
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}

    events = aws.client("events")
    rule = events.describe_rule(Name=rule_name(aws.bus), EventBusName=aws.bus)
    pattern = json.loads(rule["EventPattern"])
    assert pattern["source"] == ["taskboard"]
    assert sorted(pattern["detail-type"]) == sorted(MAIL_DETAIL_TYPES)
    assert {"TaskCreated", "TaskUpdated", "TaskStatusChanged", "TaskAssigned", "TaskDeleted",
            "AccountEmailVerification", "AccountPasswordReset", "AccountInvitation"} <= set(MAIL_DETAIL_TYPES)
    (target,) = events.list_targets_by_rule(Rule=rule_name(aws.bus), EventBusName=aws.bus)["Targets"]
    assert target["Arn"] == first["queue_arn"]

    ses = aws.client("ses")
    assert aws.mail_from in ses.list_identities(IdentityType="EmailAddress")["Identities"]
