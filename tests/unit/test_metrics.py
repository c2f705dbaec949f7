"""The outbox metric line CloudWatch reads (Embedded Metric Format)."""

from __future__ import annotations

import json

from taskboard.bootstrap import emf_line


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
