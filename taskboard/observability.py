"""Traces (TASKBOARD_TRACING=off|console|otlp): OpenTelemetry's SDK with a span
per HTTP request and websocket (the ASGI middleware), per GraphQL operation
(schema.execution), per SQL statement, Redis command and boto3 or aiobotocore
call, and per
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
    provider = TracerProvider(resource=resource, sampler=_sampler())
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    BotocoreInstrumentor().instrument(tracer_provider=provider)  # boto3: the mail worker
    _trace_aiobotocore(provider)  # the relay's writes, the activity reads
    _provider = provider
    log.info("tracing on", extra={"tracing": mode})
    return True


def _sampler() -> Any:
    """Every trace that starts with a request, an operation, a delivery or a mail
    send; none that starts with a bare client call: the relay's sweeps, the mail
    worker's long polls and the metric ticks would otherwise make a trace of one
    SQL statement or SQS call every few seconds."""
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased, Sampler, SamplingResult
    from opentelemetry.trace import SpanKind

    class NoBareClientCalls(Sampler):
        def should_sample(self, parent_context: Any, trace_id: int, name: str, kind: Any = None,
                          attributes: Any = None, links: Any = None, trace_state: Any = None) -> SamplingResult:
            if kind == SpanKind.CLIENT:
                return SamplingResult(Decision.DROP)
            return ALWAYS_ON.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

        def get_description(self) -> str:
            return "NoBareClientCalls"

    return ParentBased(root=NoBareClientCalls())


def _trace_aiobotocore(provider: Any) -> None:
    """A client span per aiobotocore call, named as the botocore instrumentation names
    its own ("DynamoDB.PutItem"): that one patches botocore's synchronous call only."""
    from aiobotocore.client import AioBaseClient
    from opentelemetry.trace import SpanKind

    tracer = provider.get_tracer("taskboard.aiobotocore")
    call = AioBaseClient._make_api_call
    if getattr(call, "_taskboard_traced", False):
        return

    async def traced(self: Any, operation_name: str, api_params: Any) -> Any:
        service = str(self._service_model.service_id).replace(" ", "")
        with tracer.start_as_current_span(f"{service}.{operation_name}", kind=SpanKind.CLIENT, attributes={
                "rpc.system": "aws-api", "rpc.service": service, "rpc.method": operation_name,
                "cloud.region": self.meta.region_name or ""}):
            return await call(self, operation_name, api_params)

    traced._taskboard_traced = True  # type: ignore[attr-defined]
    AioBaseClient._make_api_call = traced


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
