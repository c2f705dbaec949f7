#!/usr/bin/env python3
"""Mutation latency with the whole pipeline on, with the AWS endpoint answering
normally and with every request to it delayed by 200 ms (a proxy in front of
moto's server).  The outbox keeps AWS off the request path, so the two should
be within noise of each other; afterwards every change must have reached the
activity table and the bus (the backlog on /metrics drains to 0).

Usage: .venv/bin/python bench/mutations.py [--n 500] [--delays 0,0.2] [--database-url URL]
Prints: RESULT mutations delay_ms=... n=... p50_ms=... p99_ms=... max_ms=... backlog_after=...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from notify.emulator import LocalAWS

UPDATE = "mutation($t: ID!, $s: TaskStatus!) { updateTask(id: $t, input: {status: $s}) { version } }"
STATUSES = ["IN_PROGRESS", "IN_REVIEW", "DONE", "TODO"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DelayProxy:
    """A TCP forwarder that holds every chunk from the client for `delay` seconds."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.delay = 0.0
        self.port = free_port()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: bool) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                if delay and self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        with contextlib.suppress(asyncio.CancelledError):  # the proxy closing at the end of a run
            await asyncio.gather(self._pipe(reader, up_writer, True), self._pipe(up_reader, writer, False))


async def gql(client: httpx.AsyncClient, query: str, variables: dict, token: str | None = None) -> dict:
    r = await client.post("/graphql", json={"query": query, "variables": variables},
                          headers={"authorization": f"Bearer {token}"} if token else {})
    body = r.json()
    if body.get("errors"):
        raise SystemExit(f"GraphQL error: {body['errors']}")
    return body["data"]


async def backlog(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    line = next(ln for ln in text.splitlines() if ln.startswith("taskboard_outbox_backlog "))
    return float(line.split()[1])


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--delays", default="0,0.2")
    ap.add_argument("--database-url", default="mysql+asyncmy://root@127.0.0.1:3306/taskboard_bench")
    ap.add_argument("--worker", choices=["off", "on"], default="off",
                    help="the mail worker inside serve: off is production's shape (the Lambda mails), "
                         "on is the development default")
    ap.add_argument("--aws", choices=["aws", "off"], default="aws",
                    help="off: no relay at all, events stay in the outbox (the baseline the relay adds to)")
    args = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    aws = LocalAWS()
    proxy = DelayProxy(aws.port)
    await proxy.start()
    if args.database_url.startswith("mysql"):
        db = args.database_url.rsplit("/", 1)[1]
        subprocess.run(f"mariadb -uroot -e 'DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}'", shell=True,
                       check=True)
    port = free_port()
    env = {**os.environ, "TASKBOARD_ENV": "test", "TASKBOARD_AWS": args.aws, "TASKBOARD_PROVISION": "1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}", "AWS_REGION": "us-east-1",
           "TASKBOARD_DATABASE_URL": args.database_url,
           "TASKBOARD_NOTIFY_WORKER": "1" if args.worker == "on" else "0",
           "TASKBOARD_JWT_SECRET": "bench-only-secret-0123456789abcdef0123456789"}
    taskboard = str(Path(sys.executable).parent / "taskboard")
    proc = subprocess.Popen([taskboard, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            signup = "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }"
            me = (await gql(client, signup, {"i": {"email": f"bench{time.time_ns()}@example.com", "name": "Bench",
                                                   "password": "bench-password-1"}}))["signUp"]
            other = (await gql(client, signup, {"i": {"email": f"pic{time.time_ns()}@example.com", "name": "Pic",
                                                      "password": "bench-password-1"}}))["signUp"]
            token = me["accessToken"]
            board = (await gql(client, 'mutation { createBoard(name: "Bench") { id } }', {}, token))["createBoard"]
            await gql(client, "mutation($b: ID!, $u: String!) { addBoardMember(boardId: $b, email: $u) { role } }",
                      {"b": board["id"], "u": (await gql(client, "{ viewer { user { email } } }", {},
                                                         other["accessToken"]))["viewer"]["user"]["email"]}, token)
            task = (await gql(client, "mutation($b: ID!, $a: ID) { createTask(input: {boardId: $b, title: \"t\", "
                                      "assigneeId: $a}) { id } }", {"b": board["id"], "a": other["user"]["id"]},
                              token))["createTask"]
            for delay in [float(d) for d in args.delays.split(",")]:
                proxy.delay = delay
                for i in range(20):  # warm-up
                    await gql(client, UPDATE, {"t": task["id"], "s": STATUSES[i % 4]}, token)
                lat = []
                for i in range(args.n):
                    t0 = time.perf_counter()
                    await gql(client, UPDATE, {"t": task["id"], "s": STATUSES[i % 4]}, token)
                    lat.append((time.perf_counter() - t0) * 1000)
                deadline = time.monotonic() + 120
                while args.aws != "off" and (left := await backlog(client)) and time.monotonic() < deadline:
                    await asyncio.sleep(0.5)
                left = left if args.aws != "off" else float("nan")
                q = statistics.quantiles(lat, n=100)
                print(f"RESULT mutations worker={args.worker} delay_ms={delay * 1000:.0f} n={len(lat)} p50_ms={q[49]:.2f} "
                      f"p99_ms={q[98]:.2f} max_ms={max(lat):.2f} backlog_after={left:.0f}", flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        aws.stop()


if __name__ == "__main__":
    asyncio.run(main())
