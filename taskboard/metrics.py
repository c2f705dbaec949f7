"""What the service says about itself besides answering: /metrics (rendered by
prometheus_client from a per-app registry), and the same numbers as CloudWatch Embedded Metric Format lines on
stdout (the ECS awslogs driver ships stdout; CloudWatch turns each line into
Taskboard/* metrics that the deploy/ alarms watch; no PutMetricData call)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from taskboard.bootstrap import Runtime

log = logging.getLogger("taskboard")

# Redis is optional for serving (live streams poll the table without it), so it is
# not part of readiness; a ping slower than this counts as down.
REDIS_PING_TIMEOUT = 2.0


async def redis_up(redis: Any) -> bool:
    try:
        await asyncio.wait_for(redis.ping(), REDIS_PING_TIMEOUT)
    except Exception:  # any failure is "down"; the gauge and its alarm say so
        return False
    return True


@dataclass
class Snapshot:
    """One reading; None where the source is absent or could not be read."""

    backlog: int | None = None
    oldest_age: float | None = None
    delivered_total: int | None = None
    failures_total: int | None = None
    conflicts_total: int | None = None
    redis_up: bool | None = None
    db_connections_in_use: int | None = None
    live_subscribers: int | None = None


async def snapshot(rt: Runtime) -> Snapshot:
    snap = Snapshot()
    relay = rt.relay
    if relay is not None:
        try:
            snap.backlog, snap.oldest_age = await relay.backlog()
        except Exception:  # the database may be away; the other numbers still count
            log.warning("could not read the outbox backlog for metrics", exc_info=True)
        snap.delivered_total = relay.delivered_total
        snap.failures_total = relay.failures_total
        snap.conflicts_total = relay.conflicts_total
    if rt.redis is not None:
        snap.redis_up = await redis_up(rt.redis)
    pool = rt.engine.pool
    if hasattr(pool, "checkedout"):
        snap.db_connections_in_use = pool.checkedout()
    hub = rt.services.hub
    if hasattr(hub, "subscriber_count"):
        snap.live_subscribers = hub.subscriber_count()
    return snap


_PROMETHEUS = (
    # attribute, name, type, help
    ("backlog", "taskboard_outbox_backlog", "gauge",
     "Board events not yet delivered to every AWS destination."),
    ("oldest_age", "taskboard_outbox_oldest_age_seconds", "gauge", "Age of the oldest undelivered board event."),
    ("delivered_total", "taskboard_outbox_delivered_total", "counter",
     "Board events delivered to every AWS destination."),
    ("failures_total", "taskboard_outbox_delivery_failures_total", "counter",
     "Delivery attempts that failed (retried)."),
    ("conflicts_total", "taskboard_outbox_activity_conflicts_total", "counter",
     "Activity log writes refused: the board/seq already holds another event (a reused seq)."),
    ("redis_up", "taskboard_redis_up", "gauge", "1 when Redis answers a ping, 0 when not (not part of readiness)."),
    ("db_connections_in_use", "taskboard_db_connections_in_use", "gauge",
     "Database connections checked out of the pool."),
    ("live_subscribers", "taskboard_live_subscribers", "gauge", "Live subscriptions served by this process."),
)


class SnapshotCollector(Collector):
    """The numbers of the latest `Snapshot` as Prometheus families.  Reading them
    is async (the backlog is a query), and a collector is called synchronously,
    so /metrics takes the snapshot first and sets `latest`, then renders."""

    def __init__(self) -> None:
        self.latest = Snapshot()

    def collect(self) -> Iterator[Metric]:
        for attr, name, kind, text in _PROMETHEUS:
            value = getattr(self.latest, attr)
            if value is None:
                continue
            if kind == "counter":
                yield CounterMetricFamily(name, text, value=float(value))
            else:
                yield GaugeMetricFamily(name, text, value=float(value))


def metrics_registry() -> tuple[CollectorRegistry, SnapshotCollector]:
    """One registry per app, never prometheus_client's global one: tests build many
    apps in one process, and each reports only its own runtime."""
    registry = CollectorRegistry(auto_describe=False)
    collector = SnapshotCollector()
    registry.register(collector)
    return registry, collector


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(registry), CONTENT_TYPE_LATEST


def emf_line(backlog: int | None, oldest_age: float | None, now_ms: int, *, redis_up: bool | None = None,
             activity_conflicts: int | None = None) -> str:
    """One EMF line with the metrics known at this tick: Taskboard/OutboxBacklog,
    OutboxOldestAgeSeconds, RedisUp (0/1) and ActivityConflicts (refused activity
    writes since the previous line), no dimensions."""
    values: dict[str, tuple[float | int, str]] = {}
    if backlog is not None and oldest_age is not None:
        values["OutboxBacklog"] = (backlog, "Count")
        values["OutboxOldestAgeSeconds"] = (round(oldest_age, 3), "Seconds")
    if redis_up is not None:
        values["RedisUp"] = (int(redis_up), "None")
    if activity_conflicts is not None:
        values["ActivityConflicts"] = (activity_conflicts, "Count")
    return json.dumps({
        "_aws": {"Timestamp": now_ms, "CloudWatchMetrics": [{
            "Namespace": "Taskboard", "Dimensions": [[]],
            "Metrics": [{"Name": name, "Unit": unit} for name, (_, unit) in values.items()],
        }]},
        **{name: value for name, (value, _) in values.items()},
    }, separators=(",", ":"))


async def emit_metrics(rt: Runtime, interval: float) -> None:
    """An EMF line every `interval` seconds, until cancelled."""
    conflicts_seen = 0
    while True:
        await asyncio.sleep(interval)
        snap = await snapshot(rt)
        conflicts = None
        if snap.conflicts_total is not None:
            # A counter restarts with its process: a drop means a restart, not a negative count.
            conflicts = snap.conflicts_total - conflicts_seen if snap.conflicts_total >= conflicts_seen \
                else snap.conflicts_total
            conflicts_seen = snap.conflicts_total
        sys.stdout.write(emf_line(snap.backlog, snap.oldest_age, int(time.time() * 1000), redis_up=snap.redis_up,
                                  activity_conflicts=conflicts) + "\n")
        sys.stdout.flush()
