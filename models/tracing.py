"""Trace context through the outbox, with the standard library alone.

A mutation's span writes its W3C `traceparent` into the outbox row's payload
(`models.uow`), the relay's delivery spans and the mailer's send spans continue
it from there (the payload is the EventBridge event's detail), so one trace
holds a change, its delivery and its mail.

OpenTelemetry is optional here: the mail Lambda's package holds the standard
library and boto3 only (deploy/lambda/build_zip.py), and there every function
below is a no-op.  With OpenTelemetry installed but no tracer provider set up
(TASKBOARD_TRACING=off) the spans are OpenTelemetry's own non-recording ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

try:
    from opentelemetry import trace as _trace
    from opentelemetry.trace import Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError:  # the Lambda: no tracing
    _trace = None  # type: ignore[assignment]

_PROPAGATOR = TraceContextTextMapPropagator() if _trace is not None else None
TRACER_NAME = "taskboard"


def current_traceparent() -> str | None:
    """The W3C traceparent of the span running now; None without one."""
    if _trace is None or _PROPAGATOR is None or not _trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def _context(traceparent: Any) -> Any:
    if _PROPAGATOR is None or not isinstance(traceparent, str) or not traceparent:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent})


def start(name: str, traceparent: Any = None, attributes: Mapping[str, Any] | None = None) -> Any:
    """A span continuing `traceparent` (a new trace without one), not made current;
    None without OpenTelemetry.  End it with `end`."""
    if _trace is None:
        return None
    return _trace.get_tracer(TRACER_NAME).start_span(name, context=_context(traceparent),
                                                     attributes=_clean(attributes))


@contextmanager
def current(span: Any) -> Iterator[None]:
    """Make `span` (from `start`) the current one inside: what runs there, its client
    calls included, become its children.  It is not ended here."""
    if span is None or _trace is None:
        yield
        return
    with _trace.use_span(span, end_on_exit=False, record_exception=False, set_status_on_exception=False):
        yield


def end(span: Any, error: str | None = None) -> None:
    if span is None:
        return
    if error:
        span.set_status(Status(StatusCode.ERROR, error[:200]))
    span.end()


@contextmanager
def span(name: str, traceparent: Any = None, attributes: Mapping[str, Any] | None = None) -> Iterator[Any]:
    """A current span (what runs inside, boto3 calls included, are its children)
    continuing `traceparent`; an exception marks it failed.  None without OpenTelemetry."""
    if _trace is None:
        yield None
        return
    tracer = _trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(name, context=_context(traceparent), attributes=_clean(attributes)) as current:
        yield current


def trace_id(span: Any) -> str | None:
    """The span's trace id as 32 hex digits (what log lines carry to find the trace)."""
    if span is None:
        return None
    ctx = span.get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def _clean(attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not attributes:
        return None
    return {k: v for k, v in attributes.items() if isinstance(v, (str, bool, int, float))}
