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


# --- /metrics through prometheus_client (issue 14 item 9) ---------------------------------


async def _scrape(database_url: str) -> tuple[str, str]:
    import httpx

    from taskboard.app import create_app
    from tests.conftest import test_settings

    app = create_app(test_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text, response.headers["content-type"]


async def test_metrics_are_prometheus_clients_exposition(database_url: str) -> None:
    from prometheus_client.exposition import CONTENT_TYPE_LATEST
    from prometheus_client.parser import text_string_to_metric_families

    text, content_type = await _scrape(database_url)
    assert content_type == CONTENT_TYPE_LATEST
    families = {f.name: f for f in text_string_to_metric_families(text)}
    # The names the dashboards and alerts know, each with its HELP text and type.
    assert families["taskboard_db_connections_in_use"].type == "gauge"
    assert families["taskboard_live_subscribers"].type == "gauge"
    assert families["taskboard_live_subscribers"].documentation
    assert [s.value for s in families["taskboard_live_subscribers"].samples] == [0]


async def test_two_apps_in_one_process_keep_their_own_registries(database_url: str) -> None:
    # No global registry: a second app must not collide with (or report) the first.
    first, _ = await _scrape(database_url)
    second, _ = await _scrape(database_url)
    assert first.count("# TYPE taskboard_live_subscribers gauge") == 1
    assert second.count("# TYPE taskboard_live_subscribers gauge") == 1


def test_snapshot_metrics_keep_their_names_and_values() -> None:
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from taskboard.metrics import Snapshot, SnapshotCollector

    registry = CollectorRegistry(auto_describe=False)
    collector = SnapshotCollector()
    registry.register(collector)
    collector.latest = Snapshot(backlog=3, oldest_age=1.5, delivered_total=9, failures_total=2, conflicts_total=0,
                                redis_up=True)
    samples = {s.name: s.value for f in text_string_to_metric_families(generate_latest(registry).decode())
               for s in f.samples}
    assert samples == {"taskboard_outbox_backlog": 3, "taskboard_outbox_oldest_age_seconds": 1.5,
                       "taskboard_outbox_delivered_total": 9, "taskboard_outbox_delivery_failures_total": 2,
                       "taskboard_outbox_activity_conflicts_total": 0, "taskboard_redis_up": 1}
