"""Traces (TASKBOARD_TRACING=off|console|otlp): OpenTelemetry's SDK with a span
per HTTP request and websocket (the ASGI middleware), per GraphQL operation
(schema.execution), per SQL statement, Redis command and boto3 call, and per
outbox delivery and mail send (models.tracing carries the mutation's trace
through the outbox).

`otlp` sends spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (in AWS the
ADOT collector beside the service in its task, which hands them to X-Ray);
`console` prints them.  Off by default: no provider is set, and OpenTelemetry's
API answers every span with a non-recording one.

The tracer provider is process-wide (OpenTelemetry allows one), so the first
app built with tracing on sets it up; later ones share it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from starlette.middleware import Middleware

log = logging.getLogger("taskboard")

_provider: Any = None
# Probes and scrapes every few seconds would bury the traces worth reading.
_NOT_TRACED = "/healthz,/readyz,/metrics"


def setup(mode: str) -> bool:
    """Set up the process's tracer provider and the library instrumentations for
    `mode`; False when tracing is off."""
    global _provider
    if mode == "off":
        return False
    if _provider is not None:
        return True
    from opentelemetry import trace
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    exporter: SpanExporter
    if mode == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()  # OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, default localhost:4318
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or "taskboard"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    BotocoreInstrumentor().instrument(tracer_provider=provider)  # boto3 (the mailer); aiobotocore is not covered
    _provider = provider
    log.info("tracing on", extra={"tracing": mode})
    return True


def instrument_engine(engine: Any) -> None:
    """A span per statement of this (async) engine."""
    if _provider is None:
        return
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    usage = metrics.get_meter("taskboard.sqlalchemy").create_up_down_counter("db.client.connections.usage")
    EngineTracer(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", tracer_provider=_provider),
                 getattr(engine, "sync_engine", engine), usage)


def middleware() -> list[Middleware]:
    """The ASGI middleware's span per request (none when tracing is off)."""
    if _provider is None:
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    # Not one span per websocket frame: a live socket lives for hours.
    return [Middleware(OpenTelemetryMiddleware, excluded_urls=_NOT_TRACED, tracer_provider=_provider,
                       exclude_spans=["receive", "send"])]


def flush(timeout_ms: int = 5000) -> None:
    """Export what is buffered (at shutdown: the batch processor's thread dies with the process)."""
    if _provider is not None:
        _provider.force_flush(timeout_ms)
