"""The Starlette application: GraphQL over HTTP and websockets, health, the web
board, and in development the mail page."""

from __future__ import annotations

import contextlib
import gc
import html
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from starlette.websockets import WebSocket

from schema import build_schema
from schema.execution import Operations
from schema.persisted import MANIFEST_NAME, PersistedStore, load_manifest
from taskboard import bootstrap, logs, observability
from taskboard.admission import QueryGate
from taskboard.cache import ResponseCache
from taskboard.http import GraphQLEndpoint
from taskboard.metrics import exposition, metrics_registry, snapshot
from taskboard.session_cookie import SessionEndpoints
from taskboard.settings import Settings
from taskboard.ws import LiveSocket, ProtocolConfig

log = logging.getLogger("taskboard")

REPO_WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"


def create_app(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    logs.configure(settings.log_style)
    observability.setup(settings.tracing)
    production = settings.production
    schema = build_schema()
    operations = Operations(schema, max_depth=settings.max_depth, max_aliases=settings.max_aliases,
                            max_tokens=settings.max_tokens, introspection=not production, production=production,
                            max_cost=settings.max_cost, page_size=settings.max_page_size,
                            cache_bytes=settings.document_cache_bytes,
                            cache_document_chars=settings.document_cache_max_chars,
                            compiled=settings.compiled_execution)
    state: dict[str, Any] = {}
    web_dir = Path(settings.web_dir) if settings.web_dir else REPO_WEB_DIST
    manifest = persisted_manifest(settings, operations, web_dir)

    async def graphql_http(request: Request) -> Response:
        return await state["endpoint"](request)

    async def graphql_ws(websocket: WebSocket) -> None:
        await LiveSocket(websocket, state["ws"]).run()

    async def auth_session(request: Request) -> Response:
        return await state["session"].session(request)

    async def auth_logout(request: Request) -> Response:
        return await state["session"].logout(request)

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        rt: bootstrap.Runtime = state["runtime"]
        checks = await rt.ready()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    registry, collector = metrics_registry()

    async def metrics(_: Request) -> Response:
        collector.latest = await snapshot(state["runtime"])
        body, content_type = exposition(registry)
        return Response(body, media_type=content_type)

    async def dev_mail(_: Request) -> Response:
        from notify.emulator import sent_mails, sent_sms

        mails = sent_mails(settings.aws_region)
        # The texts too: a developer (and the browser tests) read the phone code here.
        texts = "".join(
            f"<li><b>To:</b> {html.escape(str(m['to']))} &middot; <q>{html.escape(str(m['message']))}</q></li>"
            for m in reversed(sent_sms(settings.aws_region))
        )
        rows = "".join(
            f"<article><h2>{html.escape(m.get('subject') or '')}</h2>"
            f"<p><b>To:</b> {html.escape(', '.join(m.get('to') or []))}"
            f" &middot; <time>{html.escape(str(m.get('at') or ''))}</time></p>"
            f"<pre>{html.escape(m.get('text') or m.get('body') or '')}</pre></article>"
            for m in reversed(mails)
        )
        page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Sent mail</title>"
                f"<meta name=viewport content='width=device-width,initial-scale=1'>"
                f"<style>body{{font-family:system-ui;max-width:50rem;margin:2rem auto;padding:0 1rem}}"
                f"article{{border-bottom:1px solid #ddd}}pre{{white-space:pre-wrap}}</style></head>"
                f"<body><h1>Mail sent by this development server ({len(mails)})</h1>"
                f"{rows or '<p>No mail yet.</p>'}"
                f"<h1>Text messages</h1>{f'<ul>{texts}</ul>' if texts else '<p>No text messages yet.</p>'}"
                f"</body></html>")
        return HTMLResponse(page)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        started = time.monotonic()
        rt = await bootstrap.build(settings)
        state["runtime"] = rt
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
        state["endpoint"] = GraphQLEndpoint(operations, rt.services, max_body=settings.max_body_bytes,
                                            graphiql=not production, cache=cache, query_gate=gate,
                                            trusted_proxies=settings.trusted_networks, persisted=persisted)
        state["ws"] = ProtocolConfig(operations, rt.services, settings, persisted)
        state["session"] = SessionEndpoints(rt.services, cors_origins=settings.cors_origins,
                                            trusted_proxies=settings.trusted_networks)
        if settings.gc_tuning:
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
        log.info("taskboard ready in %.1fs (database %s, aws %s)", time.monotonic() - started,
                 settings.database_url.split("://")[0], settings.aws_mode)
        try:
            yield
        finally:
            await bootstrap.close(rt)
            observability.flush()

    routes: list[Any] = [
        Route("/graphql", graphql_http, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        WebSocketRoute("/graphql", graphql_ws),
        Route("/auth/session", auth_session, methods=["GET", "POST"]),
        Route("/auth/logout", auth_logout, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
    ]
    if settings.env == "development" and settings.aws_mode == "local":
        routes.append(Route("/dev/mail", dev_mail))
    if (web_dir / "index.html").exists():
        routes.append(Mount("/", app=WebBoard(directory=web_dir, html=True), name="web"))
    else:
        routes.append(Route("/", _no_web))
    middleware = observability.middleware()
    traced = bool(middleware)  # the tracing middleware wants the live socket's span
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["POST"],
                                     allow_headers=["authorization", "content-type"]))
    app = App(routes=routes, middleware=middleware, lifespan=lifespan)
    app.live_socket = None if traced else graphql_ws
    return app


class App(Starlette):
    """Starlette, but a live socket on /graphql goes straight to its handler: the
    middleware and router layers pass a websocket through, yet each keeps a suspended
    frame (and closures) for as long as the socket is open, ~4 KiB of an idle
    subscriber."""

    live_socket: Callable[[WebSocket], Awaitable[None]] | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql" and self.live_socket is not None:
            scope["app"] = self
            await self.live_socket(WebSocket(scope, receive, send))
            return
        await super().__call__(scope, receive, send)


def persisted_manifest(settings: Settings, operations: Operations, web_dir: Path) -> dict[str, str]:
    """The web build's documents by hash; with TASKBOARD_PERSISTED_ONLY required, and
    each checked (parsed and validated) now rather than on a first request."""
    path = Path(settings.persisted_manifest) if settings.persisted_manifest else web_dir / MANIFEST_NAME
    manifest = load_manifest(path) if settings.persisted_manifest or path.exists() else {}
    if settings.persisted_only:
        if not manifest:
            raise ValueError("TASKBOARD_PERSISTED_ONLY needs the manifest of the web board's documents "
                             f"(TASKBOARD_PERSISTED_MANIFEST, or {MANIFEST_NAME} in the web build): {path}")
        for digest, document in manifest.items():
            refused = operations.prepare_document(document)
            if refused:
                raise ValueError(f"{path}: the document {digest[:16]}... is not valid here: {refused[0].message}")
    return manifest


class WebBoard(StaticFiles):
    """The built client.  The board routes by path for the links mails carry
    (/verify-email, /reset-password, /invitations/accept, /boards/<id>): a GET of a
    path that names no file gets index.html.  A path with a file extension (a stale
    asset) stays a 404, so a browser never runs an HTML page as a script."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or scope["method"] not in ("GET", "HEAD") or "." in path.rsplit("/", 1)[-1]:
                raise
            return await super().get_response("index.html", scope)


async def _no_web(_: Request) -> Response:
    return HTMLResponse(
        "<!doctype html><title>Taskboard</title><h1>Taskboard API</h1>"
        "<p>The web board is not built (run <code>make web</code>, which needs Node.js). "
        "The GraphQL API is at <a href='/graphql'>/graphql</a>.</p>"
    )
