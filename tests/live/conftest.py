"""A real uvicorn on a free port and a real websocket client."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from taskboard.app import create_app
from taskboard.ws_protocol import LeanWebSocketProtocol
from tests.conftest import Api, test_settings

PROTOCOL = "graphql-transport-ws"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, url: str, api: Api) -> None:
        self.url = url
        self.ws_url = url.replace("http://", "ws://") + "/graphql"
        self.api = api
        self.sockets: list[ClientConnection] = []

    async def close_sockets(self) -> None:
        sockets, self.sockets = self.sockets, []
        for ws in sockets:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
            with contextlib.suppress(Exception):
                ws.transport.abort()

    async def socket(self, token: str | None = None, *, init: bool = True, **kw: Any) -> ClientConnection:
        ws = await connect(self.ws_url, subprotocols=[PROTOCOL], **kw)  # type: ignore[list-item]
        self.sockets.append(ws)
        if init:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert ack["type"] == "connection_ack", ack
        return ws


@contextlib.asynccontextmanager
async def serve(settings: Any, **uvicorn_options: Any) -> AsyncIterator[LiveServer]:
    """A real uvicorn on a free port; `uvicorn_options` add to its Config."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                            ws=LeanWebSocketProtocol, ws_per_message_deflate=False, lifespan="on",
                            **uvicorn_options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        live = LiveServer(url, Api(client, None))
        try:
            yield live
        finally:
            await live.close_sockets()
            server.should_exit = True
            await asyncio.wait_for(task, 10)


ServerFactory = Callable[..., Any]


@pytest.fixture(scope="session")
async def live(database_url: str) -> AsyncIterator[LiveServer]:
    settings = test_settings(database_url, connection_init_timeout=1.0, keepalive_interval=0.5)
    async with serve(settings) as server:
        yield server


@pytest.fixture(autouse=True)
async def _close_test_sockets(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "live" in request.fixturenames:
        await request.getfixturevalue("live").close_sockets()


async def next_message(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    """The next protocol message that is not a keep-alive ping, within `timeout` overall."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), max(left, 0.001)))
        if msg["type"] != "ping":
            return msg


async def subscribe(ws: ClientConnection, op_id: str, board_id: str, after_seq: int | None = None,
                    selection: str = "kind seq boardId taskId actorEmail at task { id title status version "
                                     "assignee { id email } } member { role user { id email } }") -> None:
    query = f"subscription($b: ID!, $s: Int) {{ boardEvents(boardId: $b, afterSeq: $s) {{ {selection} }} }}"
    await ws.send(json.dumps({"id": op_id, "type": "subscribe",
                              "payload": {"query": query, "variables": {"b": board_id, "s": after_seq}}}))


async def events(ws: ClientConnection, n: int, timeout: float = 5) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < n:
        msg = await next_message(ws, timeout)
        assert msg["type"] == "next", msg
        out.append(msg["payload"]["data"]["boardEvents"])
    return out


async def closed_with(ws: ClientConnection, timeout: float = 5) -> int | None:
    with contextlib.suppress(Exception):
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    return ws.close_code


Waiter = Callable[[], Awaitable[None]]
