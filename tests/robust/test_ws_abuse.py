"""Websocket abuse against a real uvicorn: each gets the contract's answer, the
server stays responsive to others, and its memory stays bounded."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.api.helpers import CREATE_TASK, UPDATE_TASK
from tests.conftest import Api, test_settings
from tests.live.conftest import PROTOCOL, LiveServer, closed_with, next_message, serve, subscribe
from tests.robust.common import World, make_world


def rss_kib() -> int:
    """Resident memory of this process (uvicorn runs in it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.fixture(scope="module")
async def server(database_url: str) -> AsyncIterator[LiveServer]:
    async with serve(test_settings(database_url, keepalive_interval=30)) as live:
        yield live


@pytest.fixture(scope="module")
async def world(server: LiveServer) -> World:
    return await make_world(server.api, tasks=1)


async def responsive(server: LiveServer, world: World) -> float:
    """Seconds for another client's health check and query."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as other:
        assert (await other.get("/healthz")).status_code == 200
        body = (await other.post("/graphql", json={"query": "{ viewer { user { id } } }"},
                                 headers={"authorization": f"Bearer {world.member['token']}"})).json()
        assert body["data"]["viewer"]["user"]["id"] == world.member["id"], body
    return time.monotonic() - started


async def test_oversized_frame_closes_4400(server: LiveServer, world: World) -> None:
    ws = await server.socket(world.owner["token"])
    await ws.send(json.dumps({"type": "ping", "payload": {"pad": "x" * 70_000}}))
    assert await closed_with(ws) == 4400
    assert await responsive(server, world) < 2


async def test_2mb_frame_is_closed_without_hanging(server: LiveServer, world: World) -> None:
    before = rss_kib()
    ws = await server.socket(world.owner["token"], max_size=None)
    started = time.monotonic()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.send("{" + " " * (2 * 1024 * 1024) + "}"), 10)
    assert await closed_with(ws, timeout=10) == 4400  # our 64 KiB frame limit
    assert time.monotonic() - started < 10
    assert await responsive(server, world) < 2
    gc.collect()
    assert rss_kib() - before < 64 * 1024


async def test_2mb_frame_hits_uvicorns_limit_as_served(database_url: str, world: World) -> None:
    # uvicorn as `taskboard serve` runs it (taskboard/cli.py): a 64 KiB frame limit in
    # the websocket implementation itself.
    async with serve(test_settings(database_url), ws_max_size=64 * 1024) as served:
        ws = await connect(served.ws_url, subprotocols=[PROTOCOL], max_size=None)  # type: ignore[list-item]
        try:
            await ws.send(json.dumps({"type": "connection_init",
                                      "payload": {"authorization": f"Bearer {world.owner['token']}"}}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.send("x" * (2 * 1024 * 1024)), 10)
            assert await closed_with(ws, timeout=10) == 1009  # message too big
        finally:
            ws.transport.abort()


async def test_invalid_json_closes_4400(server: LiveServer, world: World) -> None:
    for frame in ("{not json", "[1, 2", "\x00", '{"type": "subscribe", "id": "1", "payload": {"query": "{'):
        ws = await server.socket(world.owner["token"])
        await ws.send(frame)
        assert await closed_with(ws) == 4400, frame
    before_init = await server.socket(init=False)
    await before_init.send("{oops")
    assert await closed_with(before_init) == 4400


async def test_10000_subscribes_on_one_socket(server: LiveServer, world: World) -> None:
    """The first 50 run; each later one is answered with its own `error`
    (BAD_USER_INPUT), and the socket stays open: the server reads the next message
    only when there is room for the answer, so a flood is slowed to the pace at
    which the client reads.  Memory stays bounded and other clients are served."""
    before = rss_kib()
    ws = await server.socket(world.owner["token"])
    query = "subscription($b: ID!, $s: Int) { boardEvents(boardId: $b, afterSeq: $s) { seq } }"
    last = (await server.api.ok("query($b: ID!) { board(id: $b) { lastSeq } }", {"b": world.board_id},
                                world.owner["token"]))["board"]["lastSeq"]

    def sub(i: int) -> str:  # afterSeq: the change below reaches each even if it subscribes late
        return json.dumps({"id": str(i), "type": "subscribe",
                           "payload": {"query": query, "variables": {"b": world.board_id, "s": last}}})

    for i in range(50):
        await ws.send(sub(i))
    await server.api.ok(CREATE_TASK, {"i": {"boardId": world.board_id, "title": "before the flood"}},
                        world.owner["token"])
    live_ids = set()
    while len(live_ids) < 50:  # the 50 run: the change reaches every one of them
        msg = await next_message(ws, timeout=10)
        assert msg["type"] == "next", msg
        live_ids.add(msg["id"])
    assert live_ids == {str(i) for i in range(50)}

    received: list[dict[str, Any]] = []

    async def read() -> None:
        with contextlib.suppress(Exception):
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] != "ping":
                    received.append(msg)

    reader = asyncio.create_task(read())
    worst = 0.0
    sent = 50
    with contextlib.suppress(Exception):
        for i in range(50, 10_000):
            await ws.send(sub(i))
            sent += 1
            if i % 2000 == 1999:
                worst = max(worst, await responsive(server, world))
    deadline = asyncio.get_running_loop().time() + 30
    while len(received) < 10_000 - 50 and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
    assert ws.close_code is None, (ws.close_code, sent, len(received))
    assert sent == 10_000 and len(received) == 10_000 - 50, (sent, len(received))
    await ws.close()
    await asyncio.wait_for(reader, 15)
    assert worst < 2, f"another client waited {worst:.1f}s"
    assert await responsive(server, world) < 2
    assert received, "no answer at all to the extra subscriptions"
    assert all(m["type"] == "error" for m in received), {m["type"] for m in received}
    assert all(m["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT" for m in received)
    ids = [int(m["id"]) for m in received]
    assert ids == sorted(ids) and ids[0] == 50 and len(set(ids)) == len(ids)
    print(f"\n10,000 subscribes: {sent} sent, {len(received)} errors, socket still open")
    gc.collect()
    assert rss_kib() - before < 64 * 1024


async def test_client_that_never_reads_is_closed_1013_memory_bounded(server: LiveServer, world: World) -> None:
    api: Api = server.api
    owner = world.owner
    task = (await api.ok(CREATE_TASK, {"i": {"boardId": world.board_id, "title": "slow"}}, owner["token"]))["createTask"]
    gc.collect()
    before = rss_kib()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", int(server.url.rsplit(":", 1)[1])))
    sock.setblocking(False)
    slow: ClientConnection = await server.socket(owner["token"], max_queue=1, sock=sock)
    last = (await api.ok("query($b: ID!) { board(id: $b) { lastSeq } }", {"b": world.board_id},
                         owner["token"]))["board"]["lastSeq"]
    for i in range(45):  # afterSeq: every event below reaches each, however late it subscribes
        await subscribe(slow, f"s{i}", world.board_id, after_seq=last, selection="seq task { description }")
    slow.transport.pause_reading()  # never reads again
    big = "y" * 19_000
    peak = before
    # 140 events, more than a subscription may fall behind (live_subscriber_buffer, 128),
    # x 45 subscriptions x 19 kB: ~120 MB if it were all buffered.
    for i in range(140):
        await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"description": f"{big}{i}"}}, owner["token"])
        peak = max(peak, rss_kib())
    assert await responsive(server, world) < 2
    slow.transport.resume_reading()
    assert await closed_with(slow, timeout=10) == 1013
    gc.collect()
    peak = max(peak, rss_kib())
    growth_mib = (peak - before) / 1024
    print(f"\nRSS growth with a client that never reads: {growth_mib:.1f} MiB")
    assert growth_mib < 40, f"server memory grew {growth_mib:.1f} MiB"
