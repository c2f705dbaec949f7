"""The outbox metric line CloudWatch reads (Embedded Metric Format)."""

from __future__ import annotations

import json

from taskboard.metrics import emf_line


def test_emf_line_names_what_the_alarm_watches() -> None:
    doc = json.loads(emf_line(7, 12.3456, 1_700_000_000_000))
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert doc["_aws"]["Timestamp"] == 1_700_000_000_000
    assert directive["Namespace"] == "Taskboard" and directive["Dimensions"] == [[]]
    names = {m["Name"]: m["Unit"] for m in directive["Metrics"]}
    assert names == {"OutboxBacklog": "Count", "OutboxOldestAgeSeconds": "Seconds"}
    # Every metric named in the directive is a top-level member of the line, as EMF requires.
    assert doc["OutboxBacklog"] == 7 and doc["OutboxOldestAgeSeconds"] == 12.346


def test_the_alarm_in_deploy_watches_that_metric() -> None:
    from pathlib import Path

    ops = (Path(__file__).resolve().parents[2] / "deploy" / "ops.tf").read_text()
    assert 'metric_name         = "OutboxOldestAgeSeconds"' in ops or '"OutboxOldestAgeSeconds"' in ops
    assert '"Taskboard"' in ops


def test_emf_line_carries_redis_state_and_activity_conflicts() -> None:
    doc = json.loads(emf_line(0, 0.0, 1, redis_up=False, activity_conflicts=2))
    names = {m["Name"]: m["Unit"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert names == {"OutboxBacklog": "Count", "OutboxOldestAgeSeconds": "Seconds", "RedisUp": "None",
                     "ActivityConflicts": "Count"}
    assert doc["RedisUp"] == 0 and doc["ActivityConflicts"] == 2


def test_emf_line_without_the_backlog_still_reports_redis() -> None:
    # The database may be away at a tick: the Redis state is still worth a line.
    doc = json.loads(emf_line(None, None, 1, redis_up=True))
    assert [m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["RedisUp"]
    assert doc["RedisUp"] == 1 and "OutboxBacklog" not in doc


def test_the_redis_and_conflict_alarms_in_deploy_watch_those_metrics() -> None:
    from pathlib import Path

    ops = (Path(__file__).resolve().parents[2] / "deploy" / "ops.tf").read_text()
    assert '"RedisUp"' in ops and '"ActivityConflicts"' in ops
