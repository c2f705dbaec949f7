#!/usr/bin/env python3
"""Mutation latency with the whole pipeline on, with the AWS endpoint answering
normally and with every request to it delayed by 200 ms (a proxy in front of
moto's server).  The outbox keeps AWS off the request path, so the two should
be within noise of each other; afterwards every change must have reached the
activity table and the bus (the backlog on /metrics drains to 0).

Usage: .venv/bin/python bench/mutations.py [--n 500] [--rounds 5] [--delays 0,0.2] [--database-url URL]
       [--worker off|on] [--aws aws|off]
Prints: RESULT mutations delay_ms=... n=... p50_ms=... p99_ms=... max_ms=... backlog_after=... per round,
then SUMMARY lines: each delay's median p50 and p99 over the rounds, and its ratio to the first delay's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


UPDATE = "mutation($t: ID!, $s: TaskStatus!) { updateTask(id: $t, input: {status: $s}) { version } }"
STATUSES = ["IN_PROGRESS", "IN_REVIEW", "DONE", "TODO"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DelayProxy:
    """A TCP forwarder that holds every chunk from the client for `delay` seconds
    (read from a shared value, so the bench can change it while the proxy runs)."""

    def __init__(self, upstream_port: int, port: int, delay: Any) -> None:
        self.upstream_port = upstream_port
        self._delay = delay
        self.port = port

    @property
    def delay(self) -> float:
        return float(self._delay.value)

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


def log_target(path: str | None) -> Any:
    return open(path, "ab") if path else subprocess.DEVNULL  # the server keeps it for its lifetime


def run_proxy(upstream_port: int, port: int, delay: Any) -> None:
    """The proxy's own process: in the bench's, its forwarding would share the event
    loop (and the GIL) that times the requests."""
    async def serve() -> None:
        proxy = DelayProxy(upstream_port, port, delay)
        await proxy.start()
        await asyncio.Event().wait()

    asyncio.run(serve())


def purge_queues(aws_port: int) -> None:
    """Empty moto's SQS queues every second (a process of its own).  The bus rule's
    queue has no consumer with --worker off (in AWS the Lambda takes the events),
    and moto's PutEvents slows with the messages waiting in its target queue:
    66 ms per 10-entry call with 500 queued, 463 ms with 3,000, back to 73 ms after
    a purge (measured 2026-11-26).  That made the relay fall behind late in a run."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=f"http://127.0.0.1:{aws_port}", region_name="us-east-1")
    while True:
        time.sleep(1.0)
        with contextlib.suppress(Exception):
            for url in sqs.list_queues().get("QueueUrls", []):
                sqs.purge_queue(QueueUrl=url)


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
    ap.add_argument("--server-log", help="append the server's stderr (its log) to this file")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per delay, alternating")
    ap.add_argument("--database-url", default="mysql+asyncmy://root@127.0.0.1:3306/taskboard_bench")
    ap.add_argument("--worker", choices=["off", "on"], default="off",
                    help="the mail worker inside serve: off is production's shape (the Lambda mails), "
                         "on is the development default")
    ap.add_argument("--aws", choices=["aws", "off"], default="aws",
                    help="off: no relay at all, events stay in the outbox (the baseline the relay adds to)")
    args = ap.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    # moto in a process of its own: in this one its threads would hold the GIL
    # that times the requests, and the client's clock would measure moto.  And at
    # the lowest CPU priority: AWS is not on the server's machine, but moto is on
    # these two cores and, per request, costs more CPU than the server does.
    aws_port = free_port()
    aws = subprocess.Popen(["nice", "-n", "19", str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(aws_port)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(200):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", aws_port), timeout=0.2):
            break
        await asyncio.sleep(0.05)
    delay_value = multiprocessing.Value("d", 0.0)
    proxy_port = free_port()
    proxy = multiprocessing.Process(target=run_proxy, args=(aws_port, proxy_port, delay_value), daemon=True)
    proxy.start()
    purger = None
    if args.worker == "off":
        purger = multiprocessing.Process(target=purge_queues, args=(aws_port,), daemon=True)
        purger.start()
    if args.database_url.startswith("mysql"):
        db = args.database_url.rsplit("/", 1)[1]
        subprocess.run(f"mariadb -uroot -e 'DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}'", shell=True,
                       check=True)
    port = free_port()
    env = {**os.environ, "TASKBOARD_ENV": "test", "TASKBOARD_AWS": args.aws, "TASKBOARD_PROVISION": "1",
           "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy_port}", "AWS_REGION": "us-east-1",
           "TASKBOARD_DATABASE_URL": args.database_url,
           "TASKBOARD_NOTIFY_WORKER": "1" if args.worker == "on" else "0",
           "TASKBOARD_JWT_SECRET": "bench-only-secret-0123456789abcdef0123456789"}
    taskboard = str(Path(sys.executable).parent / "taskboard")
    proc = subprocess.Popen([taskboard, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=log_target(args.server_log),
                            start_new_session=True)
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
            delays = [float(d) for d in args.delays.split(",")]
            per_delay: dict[float, list[tuple[float, float]]] = {d: [] for d in delays}
            # Rounds alternate the delays: the machine is shared and drifts, so each
            # delay's median over rounds is compared with the others' from the same run.
            for delay in [d for _ in range(args.rounds) for d in delays]:
                delay_value.value = delay
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
                per_delay[delay].append((q[49], q[98]))
            base = per_delay[delays[0]]
            for delay in delays:
                p50 = statistics.median(r[0] for r in per_delay[delay])
                p99 = statistics.median(r[1] for r in per_delay[delay])
                ratio = ""
                if delay != delays[0]:
                    ratio = (f" p50_ratio={p50 / statistics.median(r[0] for r in base):.3f}"
                             f" p99_ratio={p99 / statistics.median(r[1] for r in base):.3f}")
                print(f"SUMMARY mutations worker={args.worker} aws={args.aws} delay_ms={delay * 1000:.0f} "
                      f"rounds={len(per_delay[delay])} median_p50_ms={p50:.2f} median_p99_ms={p99:.2f}{ratio}",
                      flush=True)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        proxy.terminate()
        if purger is not None:
            purger.terminate()
        aws.terminate()
        aws.wait(20)


if __name__ == "__main__":
    asyncio.run(main())
