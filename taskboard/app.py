"""The Starlette application: GraphQL over HTTP and websockets, health, the web
board, and in development the mail page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope
from starlette.websockets import WebSocket

from schema import build_schema
from schema.execution import Operations
from schema.persisted import MANIFEST_NAME, load_manifest
from taskboard import logs, observability
from taskboard.devmail import dev_mail
from taskboard.health import healthz, metrics_endpoint, readyz
from taskboard.lifespan import lifespan, state_of
from taskboard.settings import Settings
from taskboard.ws import LiveSocket

REPO_WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"


def create_app(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    logs.configure(settings.log_style)
    observability.setup(settings.tracing)
    operations = _operations(settings)
    web_dir = Path(settings.web_dir) if settings.web_dir else REPO_WEB_DIST
    manifest = persisted_manifest(settings, operations, web_dir)
    middleware = observability.middleware()
    traced = bool(middleware)  # the tracing middleware wants the live socket's span
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["POST"],
                                     allow_headers=["authorization", "content-type"]))
    app = App(routes=_routes(settings, web_dir), middleware=middleware,
              lifespan=partial(lifespan, settings=settings, operations=operations, manifest=manifest))
    app.live_socket = None if traced else graphql_ws
    return app


def _operations(settings: Settings) -> Operations:
    production = settings.production
    return Operations(build_schema(), max_depth=settings.max_depth, max_aliases=settings.max_aliases,
                      max_tokens=settings.max_tokens, introspection=not production, production=production,
                      max_cost=settings.max_cost, page_size=settings.max_page_size,
                      cache_bytes=settings.document_cache_bytes,
                      cache_document_chars=settings.document_cache_max_chars,
                      compiled=settings.compiled_execution)


def _routes(settings: Settings, web_dir: Path) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/graphql", graphql_http, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        WebSocketRoute("/graphql", graphql_ws),
        Route("/auth/session", auth_session, methods=["GET", "POST"]),
        Route("/auth/logout", auth_logout, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics_endpoint()),
    ]
    if settings.env == "development" and settings.aws_mode == "local":
        routes.append(Route("/dev/mail", partial(dev_mail, region=settings.aws_region)))
    if (web_dir / "index.html").exists():
        routes.append(Mount("/", app=WebBoard(directory=web_dir, html=True), name="web"))
    else:
        routes.append(Route("/", _no_web))
    return routes


async def graphql_http(request: Request) -> Response:
    return await state_of(request).endpoint(request)


async def graphql_ws(websocket: WebSocket) -> None:
    await LiveSocket(websocket, state_of(websocket).ws).run()


async def auth_session(request: Request) -> Response:
    return await state_of(request).session.session(request)


async def auth_logout(request: Request) -> Response:
    return await state_of(request).session.logout(request)


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
