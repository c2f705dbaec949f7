"""Delivery log lines (issue 14 item 7): the relay logs one line per delivered
batch and the mailer one per send, with ids, duration and outcome, rendered as
JSON by the service's formatter; never a recipient's address."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pytest
from notify_testkit import AwsEnv, Db, add_board, add_user, recipient, record, task_event, task_snapshot
from test_notify_mailer import clients
from test_notify_relay import make_relay

from notify import mailer
from taskboard import logs


def lines(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    formatter = logs.formatter("json")
    parsed = [json.loads(formatter.format(r)) for r in caplog.records]
    return [p for p in parsed if p["event"] == event]


async def test_the_relay_logs_one_line_per_batch(db: Db, aws: AwsEnv, caplog: pytest.LogCaptureFixture) -> None:
    actor, assignee = await add_user(db, name="Actor"), await add_user(db, name="Assignee")
    board = await add_board(db, actor)
    rows = [await record(db, board, actor, task=task_snapshot(board, actor, assignee, title=f"T{i}"),
                         recipients=[recipient(assignee, "assignee")]) for i in range(3)]
    relay = make_relay(db, aws, batch_size=10)
    caplog.set_level(logging.INFO, logger="taskboard.notify.relay")
    try:
        assert await relay.deliver_once() == 3
    finally:
        await relay.aclose()
    [line] = lines(caplog, "outbox delivery")
    assert line["events"] == 3 and line["delivered"] == 3 and line["failed"] == 0 and line["outcome"] == "ok"
    assert sorted(line["event_ids"]) == sorted(r.id for r in rows)
    assert isinstance(line["duration_ms"], float) and line["level"] == "info"


def test_the_mailer_logs_one_line_per_send(aws: AwsEnv, caplog: pytest.LogCaptureFixture) -> None:
    event = task_event()
    caplog.set_level(logging.INFO, logger="taskboard.notify.mailer")
    result = mailer.handle_event(event, **clients(aws))
    sent = lines(caplog, "mail delivery")
    assert len(sent) == result["sent"] + result["sms"] > 0
    detail = event["detail"]
    assert {line["event_id"] for line in sent} == {detail["eventId"]}
    assert {line["outcome"] for line in sent} == {"sent"}
    assert {line["channel"] for line in sent} == {"email", "sms"}
    assert {line["user_id"] for line in sent} <= {r["userId"] for r in detail["recipients"]}
    text = "\n".join(json.dumps(line) for line in sent)
    for rcpt in detail["recipients"]:
        assert rcpt["email"] not in text
        assert not rcpt["smsNumber"] or rcpt["smsNumber"] not in text


def test_a_console_exporter_prints_spans_when_asked() -> None:
    # TASKBOARD_TRACING=console: the tracer provider is process-wide, so in a process of its own.
    code = ("from opentelemetry import trace\nfrom taskboard import observability\nfrom models import tracing\n"
            "assert observability.setup('console')\n"
            "client = trace.get_tracer('t')\n"
            "with tracing.span('probe', attributes={'taskboard.event_id': 'e1'}):\n"
            "    with client.start_as_current_span('inner-call', kind=trace.SpanKind.CLIENT):\n        pass\n"
            "with client.start_as_current_span('bare-call', kind=trace.SpanKind.CLIENT):\n    pass\n"
            "observability.flush()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert '"name": "probe"' in out.stdout and '"taskboard.event_id": "e1"' in out.stdout
    # A client call inside a traced span is kept; one alone (a sweep's SQL, a poll) is not sampled.
    assert '"name": "inner-call"' in out.stdout and "bare-call" not in out.stdout


def test_tracing_off_records_nothing_in_the_outbox_payload() -> None:
    from models.tracing import current_traceparent

    assert current_traceparent() is None  # no provider, no span: no traceparent key written
