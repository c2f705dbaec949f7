"""What the app builds at startup (the runtime and the endpoints over it) and
releases at shutdown; the routes read it as one typed `AppState`."""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from schema.execution import Operations
from schema.persisted import PersistedStore
from taskboard import bootstrap, observability
from taskboard.admission import QueryGate
from taskboard.cache import ResponseCache
from taskboard.http import GraphQLEndpoint
from taskboard.session_cookie import SessionEndpoints
from taskboard.settings import Settings
from taskboard.ws import ProtocolConfig

log = logging.getLogger("taskboard")


@dataclass(frozen=True)
class AppState:
    """The started app: its runtime, and the endpoints the routes hand over to."""

    runtime: bootstrap.Runtime
    endpoint: GraphQLEndpoint
    ws: ProtocolConfig
    session: SessionEndpoints


def state_of(conn: HTTPConnection) -> AppState:
    """The `AppState` the lifespan put on the app (`app.state.taskboard`)."""
    state: AppState = conn.app.state.taskboard
    return state


@contextlib.asynccontextmanager
async def lifespan(app: Starlette, *, settings: Settings, operations: Operations,
                   manifest: dict[str, str]) -> AsyncIterator[None]:
    started = time.monotonic()
    state = await start(settings, operations, manifest)
    app.state.taskboard = state
    if settings.gc_tuning:
        tune_gc()
    log.info("taskboard ready in %.1fs (database %s, aws %s)", time.monotonic() - started,
             settings.database_url.split("://")[0], settings.aws_mode)
    try:
        yield
    finally:
        await bootstrap.close(state.runtime)
        observability.flush()


async def start(settings: Settings, operations: Operations, manifest: dict[str, str]) -> AppState:
    """The runtime (taskboard.bootstrap), and over it the GraphQL endpoint with its
    caches and query gate, the live socket's configuration and the session routes."""
    rt = await bootstrap.build(settings)
    cache = (ResponseCache(rt.services.reader, max_bytes=settings.response_cache_bytes,
                           max_entry_bytes=settings.response_cache_entry_bytes)
             if settings.response_cache else None)
    if cache is not None:
        rt.services.names_changed.append(cache.clear)
    gate = (QueryGate(rt.services.gate, settings.queries_while_writing)
            if settings.queries_while_writing else None)
    persisted = PersistedStore(max_bytes=settings.persisted_cache_bytes,
                               max_document_chars=settings.document_cache_max_chars, redis=rt.redis,
                               manifest=manifest, only=settings.persisted_only)
    endpoint = GraphQLEndpoint(operations, rt.services, max_body=settings.max_body_bytes,
                               graphiql=not settings.production, cache=cache, query_gate=gate,
                               trusted_proxies=settings.trusted_networks, persisted=persisted)
    return AppState(
        runtime=rt,
        endpoint=endpoint,
        ws=ProtocolConfig(operations, rt.services, settings, persisted),
        session=SessionEndpoints(rt.services, cors_origins=settings.cors_origins,
                                 trusted_proxies=settings.trusted_networks),
    )


def tune_gc() -> None:
    """Fewer, later garbage collections (TASKBOARD_GC_TUNING): shorter pauses under fan-out."""
    # A server with thousands of live sockets keeps a large, long-lived heap; the
    # default thresholds rescan it often and stall every delivery for 100+ ms.
    # Freeze what startup built and scan the older generations less often.  The
    # young one stays small: at 50,000 each of its collections stalled fan-out
    # deliveries for 25-30 ms (gc callbacks under bench fanout.py); at 5,000 they
    # take a few ms (three alternating runs each: max latency 91-103 ms against
    # 121-129, p99 66.5 against 68.5 ms in the median).
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 20, 100)
