"""The local mail worker: bus -> rule -> SQS queue -> worker -> mailer -> SES."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

from notify_testkit import REGION, AwsEnv, task_event

from notify import mailer
from notify.emulator import sent_mails
from notify.worker import MailWorker


def make_worker(aws: AwsEnv, **kw: Any) -> MailWorker:
    kw.setdefault("wait_time_seconds", 1)
    return MailWorker(
        aws_session=aws.session,
        queue_url=aws.queue_url,
        table=aws.table,
        mail_from=aws.mail_from,
        endpoint_url=aws.endpoint_url,
        region=REGION,
        **kw,
    )


def publish(aws: AwsEnv, event: dict[str, Any]) -> None:
    resp = aws.client("events").put_events(
        Entries=[
            {
                "Source": "taskboard",
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": aws.bus,
            }
        ]
    )
    assert resp["FailedEntryCount"] == 0


def queue_counts(aws: AwsEnv) -> tuple[int, int]:
    attrs = aws.client("sqs").get_queue_attributes(
        QueueUrl=aws.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def mails_for(event_id: str) -> list[dict[str, Any]]:
    return [m for m in sent_mails() if m["event_id"] == event_id]


async def test_event_on_the_bus_is_mailed_and_deleted(aws: AwsEnv) -> None:
    event = task_event()
    publish(aws, event)
    assert queue_counts(aws) == (1, 0)
    worker = make_worker(aws)
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
    assert len(mails_for(event["detail"]["eventId"])) == 2
    assert queue_counts(aws) == (0, 0)


async def test_failing_handler_leaves_the_message_on_the_queue(aws: AwsEnv) -> None:
    event = task_event()
    publish(aws, event)
    calls: list[str] = []

    def failing(evt: dict[str, Any], **_: Any) -> dict[str, int]:
        calls.append(evt["detail"]["eventId"])
        raise RuntimeError("SES is having a bad day")

    worker = make_worker(aws, handler=failing, visibility_timeout=1)
    try:
        assert await worker.run_once() == 0
        assert queue_counts(aws) == (0, 1)  # in flight, not deleted
        await asyncio.sleep(1.2)
        assert await worker.run_once() == 0  # came back after the visibility timeout
    finally:
        await worker.stop()
    assert calls == [event["detail"]["eventId"]] * 2
    assert mails_for(event["detail"]["eventId"]) == []

    await asyncio.sleep(1.2)
    healthy = make_worker(aws, handler=mailer.handle_event)
    try:
        assert await healthy.run_once() == 1
    finally:
        await healthy.stop()
    assert len(mails_for(event["detail"]["eventId"])) == 2
    assert queue_counts(aws) == (0, 0)


async def test_run_and_stop(aws: AwsEnv) -> None:
    worker = make_worker(aws, wait_time_seconds=2)
    runner = asyncio.create_task(worker.run())
    event = task_event()
    await asyncio.sleep(0.1)
    publish(aws, event)
    deadline = time.monotonic() + 10
    while len(mails_for(event["detail"]["eventId"])) < 2:
        assert time.monotonic() < deadline, "worker did not mail the event"
        await asyncio.sleep(0.05)
    started = time.monotonic()
    await worker.stop()
    await runner
    assert time.monotonic() - started < 1.5, "stop must not wait for the long poll"


async def test_from_settings_finds_the_queue_by_name(aws: AwsEnv) -> None:
    event = task_event()
    publish(aws, event)
    worker = MailWorker.from_settings(
        queue_name=aws.queue,
        queue_url=None,
        table=aws.table,
        mail_from=aws.mail_from,
        endpoint_url=aws.endpoint_url,
        region=REGION,
        wait_time_seconds=1,
    )
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
    assert worker.queue_url == aws.queue_url
    assert len(mails_for(event["detail"]["eventId"])) == 2


async def test_the_messages_of_one_receive_are_mailed_side_by_side(aws: AwsEnv) -> None:
    events = [task_event() for _ in range(4)]
    for event in events:
        publish(aws, event)
    doomed = events[1]["detail"]["eventId"]
    running, peak = 0, 0
    lock = threading.Lock()

    def slow(evt: dict[str, Any], **kw: Any) -> dict[str, int]:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.3)  # as a handler waiting on DynamoDB and SES
            if evt["detail"]["eventId"] == doomed:
                raise RuntimeError("SES is having a bad day")
            return mailer.handle_event(evt, **kw)
        finally:
            with lock:
                running -= 1

    worker = make_worker(aws, handler=slow, visibility_timeout=30)
    handled = 0
    try:
        deadline = time.monotonic() + 10
        while handled < 3 and time.monotonic() < deadline:
            handled += await worker.run_once()
    finally:
        await worker.stop()
    assert handled == 3 and peak >= 2  # several at once; the failure did not stop the others
    for event in events:
        expected = 0 if event["detail"]["eventId"] == doomed else 2
        assert len(mails_for(event["detail"]["eventId"])) == expected
    assert queue_counts(aws) == (0, 1)  # the failed one waits for its visibility timeout
