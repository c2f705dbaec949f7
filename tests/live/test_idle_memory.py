"""What an idle live subscriber costs the server (issue 18: thousands of subscribers
of one board from one process, at most 40 KiB each in the benchmark's RSS).

The subscribers live in a child process so that everything tracemalloc sees here
is the server's: the memory that one more subscribed, idle socket keeps, from a
first batch (which pays for what does not grow with subscribers) to a second."""

from __future__ import annotations

import asyncio
import gc
import sys
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from tests.api.helpers import UPDATE_TASK
from tests.conftest import test_settings
from tests.live.conftest import LiveServer, serve
from tests.robust.common import World, make_world

BATCH = 120
# Traced bytes per idle subscriber: ~48 KiB before the lean socket (uvicorn's handshake
# kept, two asyncio.Queues, a timer task, Starlette's middleware frames, orjson's
# 4 KiB buffer in the render key), ~23 KiB after; the bound leaves room for noise,
# not for those.
BOUND = 30 * 1024

CLIENT = r"""
import asyncio, json, sys
from websockets.asyncio.client import connect

URL, TOKEN, BOARD = sys.argv[1:4]
QUERY = ("subscription($b: ID!) { boardEvents(boardId: $b) { kind seq task { id title version } } }")
seen = []
held = []

async def one(i):
    ws = await connect(URL, subprotocols=["graphql-transport-ws"], ping_interval=None, open_timeout=60)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer " + TOKEN}}))
    while json.loads(await ws.recv())["type"] != "connection_ack":
        pass
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"b": BOARD}}}))
    async def read():
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "next":
                seen[i] = max(seen[i], msg["payload"]["data"]["boardEvents"]["task"]["version"])
            elif msg["type"] == "ping":
                await ws.send('{"type":"pong"}')
    held.append((ws, asyncio.create_task(read())))

async def main():
    loop = asyncio.get_running_loop()
    while True:
        cmd = (await loop.run_in_executor(None, sys.stdin.readline)).split()
        if not cmd or cmd[0] == "exit":
            return
        if cmd[0] == "open":
            start = len(seen)
            seen.extend([0] * int(cmd[1]))
            sem = asyncio.Semaphore(20)
            async def limited(i):
                async with sem:
                    await one(i)
            await asyncio.gather(*(limited(i) for i in range(start, len(seen))))
            print("opened", flush=True)
        elif cmd[0] == "wait":
            version = int(cmd[1])
            for _ in range(60):
                if all(v >= version for v in seen):
                    break
                await asyncio.sleep(0.05)
            print("ok" if all(v >= version for v in seen) else "miss", flush=True)

asyncio.run(main())
"""


@pytest.fixture(scope="module")
async def server(database_url: str) -> AsyncIterator[LiveServer]:
    async with serve(test_settings(database_url, keepalive_interval=30)) as live:
        yield live


async def test_an_idle_subscriber_keeps_little(server: LiveServer) -> None:
    world: World = await make_world(server.api, tasks=1)
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLIENT, server.ws_url, world.owner["token"], world.board_id,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert client.stdin is not None and client.stdout is not None
    version = 0

    async def ask(line: str) -> str:
        assert client.stdin is not None and client.stdout is not None
        client.stdin.write(line.encode() + b"\n")
        await client.stdin.drain()
        return (await asyncio.wait_for(client.stdout.readline(), 120)).decode().strip()

    async def batch() -> tracemalloc.Snapshot:
        nonlocal version
        assert await ask(f"open {BATCH}") == "opened"
        for _ in range(10):  # until every socket got an event: all subscribed, each rendered once
            version += 1
            task = (await server.api.ok(UPDATE_TASK, {"id": world.task_ids[0], "i": {"title": f"v{version}"}},
                                        world.owner["token"]))["updateTask"]
            version = task["version"]
            if await ask(f"wait {version}") == "ok":
                break
        else:
            raise AssertionError("the subscribers never all got an event")
        await asyncio.sleep(0.5)
        gc.collect()
        return tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])

    tracemalloc.start()
    try:
        first = await batch()
        second = await batch()
    finally:
        tracemalloc.stop()
        with_exit = client.stdin
        with_exit.write(b"exit\n")
        await with_exit.drain()
        await asyncio.wait_for(client.wait(), 30)
    stats = second.compare_to(first, "lineno")
    per_socket = sum(s.size_diff for s in stats) / BATCH
    top = "\n".join(f"{s.size_diff / BATCH:8.0f} {s.traceback}" for s in stats[:12])
    assert per_socket < BOUND, f"{per_socket / 1024:.1f} KiB per idle subscriber; by site:\n{top}"
