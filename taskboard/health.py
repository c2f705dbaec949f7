"""What the service says about itself over HTTP: /healthz (the process answers),
/readyz (it can serve: bootstrap.Runtime.ready) and /metrics (taskboard.metrics)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from taskboard.lifespan import state_of
from taskboard.metrics import exposition, metrics_registry, snapshot


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    checks = await state_of(request).runtime.ready()
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


def metrics_endpoint() -> Callable[[Request], Awaitable[Response]]:
    """/metrics from a registry of its own: each app reports only its runtime."""
    registry, collector = metrics_registry()

    async def metrics(request: Request) -> Response:
        collector.latest = await snapshot(state_of(request).runtime)
        body, content_type = exposition(registry)
        return Response(body, media_type=content_type)

    return metrics
