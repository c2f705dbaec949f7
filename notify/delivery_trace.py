"""What the relay says about each delivery: one log line per batch and one span
per event, the span continuing the trace of the mutation that wrote the event
(its `traceparent` in the payload, see models.tracing)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from models import tracing
from notify.claims import Claimed


def _delivered(c: Claimed) -> bool:
    return (c.log_done or c.log_ok) and (c.bus_done or c.bus_ok)


@contextmanager
def delivery(batch: Sequence[Claimed], log: logging.Logger) -> Iterator[None]:
    """Around the delivery and marking of `batch`."""
    started = time.monotonic()
    spans: list[Any] = [
        tracing.start("outbox.deliver", c.payload.get("traceparent"), {
            "taskboard.event_id": c.id, "taskboard.board_id": c.board_id, "taskboard.seq": c.seq,
            "taskboard.attempt": c.attempts, "taskboard.detail_type": c.detail_type,
            "taskboard.batch_size": len(batch),
        })
        for c in batch
    ]
    failure: str | None = None
    try:
        # One event: its span is the parent of the delivery's AWS and SQL calls.
        # Several: each continues its own trace, and the calls they share belong to none.
        with tracing.current(spans[0] if len(spans) == 1 else None):
            yield
    except BaseException as exc:
        failure = type(exc).__name__
        raise
    finally:
        failed = [c for c in batch if failure or not _delivered(c)]
        for c, span in zip(batch, spans, strict=True):
            error = failure or (None if _delivered(c) else "; ".join(c.errors) or "not delivered")
            tracing.end(span, error)
        log.info("outbox delivery", extra={
            "events": len(batch), "delivered": len(batch) - len(failed), "failed": len(failed),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "outcome": failure or ("error" if failed else "ok"),
            "event_ids": [c.id for c in batch],
            "trace_ids": sorted({t for t in map(tracing.trace_id, spans) if t}),
        })
