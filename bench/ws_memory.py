#!/usr/bin/env python3
"""Where an idle live subscriber's memory goes, in a real `taskboard serve`.

Starts the server (production settings, SQLite in a temporary directory unless
--database-url), seeds the benchmark board through the API, then opens N
graphql-transport-ws subscribers to `boardEvents` as fanout.py does, sends one
event they all must receive, waits, and measures; then opens N more and
measures again.  The difference between the two measurements, divided by N, is
what one more idle subscriber costs once the server is warm (the first batch
pays for caches and pools that do not grow with subscribers).

Prints the server's RSS per subscriber (fanout.py's "KiB per idle subscriber"
is RSS after / before connecting, divided by N, so it also counts the warm-up)
and, with tracing on (the default), tracemalloc's difference by allocation site.

Usage: .venv/bin/python bench/ws_memory.py [-n 1000] [--top 25] [--depth 1] [--no-trace]
       [--database-url URL] [--port 8019]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = (ROOT.parent / "shared" / "bench").resolve()
PY = sys.executable
SUB_QUERY = ("subscription Events($b: ID!) { boardEvents(boardId: $b) { kind seq boardId taskId at "
             "task { id title status version } } }")
UPDATE = ("mutation Update($id: ID!, $s: TaskStatus!) { updateTask(id: $id, input: {status: $s}) "
          "{ id status version } }")
TASKS = "query($id: ID!) { board(id: $id) { tasks(first: 1) { edges { node { id status } } } } }"


# -- the server side: `taskboard serve` with a snapshot on SIGUSR1 -------------------------------

def serve(port: int, snapdir: Path, depth: int) -> None:
    count = 0

    def snapshot(_sig: int, _frame: Any) -> None:
        # Tracing starts at the first measurement: what the second batch leaves allocated
        # is the difference wanted, and a server traced from startup starts too slowly.
        nonlocal count
        count += 1
        gc.collect()
        rss = rss_kib(os.getpid())
        if depth:
            if count == 1:
                tracemalloc.start(depth)
            tracemalloc.take_snapshot().dump(str(snapdir / f"{count}.snap"))
        (snapdir / f"{count}.done").write_text(str(rss))

    signal.signal(signal.SIGUSR1, snapshot)
    from taskboard.cli import main

    main(["serve", "--host", "127.0.0.1", "--port", str(port)])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- the client side -----------------------------------------------------------------------------

def env(database_url: str) -> dict[str, str]:
    return {**os.environ, "TASKBOARD_ENV": "production", "TASKBOARD_AWS": "off", "TASKBOARD_DATABASE_TLS": "off",
            "TASKBOARD_JWT_SECRET": "bench-only-secret-0123456789abcdef0123456789",
            "TASKBOARD_DATABASE_URL": database_url, "TASKBOARD_LOG_LEVEL": "warning"}


async def subscribe(url: str, token: str, board: str, seen: dict[int, int], held: list[Any]) -> None:
    from websockets.asyncio.client import connect

    ws = await connect(url, subprotocols=["graphql-transport-ws"], max_size=2**22,  # type: ignore[list-item]
                       ping_interval=None, open_timeout=120)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
    while json.loads(await ws.recv())["type"] != "connection_ack":
        pass
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUB_QUERY,
                                                                          "variables": {"b": board}}}))

    async def read() -> None:
        async for raw in ws:
            msg = json.loads(raw)
            if msg.get("type") == "next":
                version = msg["payload"]["data"]["boardEvents"]["task"]["version"]
                seen[version] = seen.get(version, 0) + 1
            elif msg.get("type") == "ping":
                await ws.send('{"type":"pong"}')

    held.append((ws, asyncio.create_task(read())))


async def measure(proc: subprocess.Popen[bytes], snapdir: Path, index: int) -> int:
    proc.send_signal(signal.SIGUSR1)
    done = snapdir / f"{index}.done"
    while not done.exists():
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.2)
    return int(done.read_text())


async def client(args: argparse.Namespace, proc: subprocess.Popen[bytes], snapdir: Path) -> tuple[int, int]:
    import httpx

    base = f"http://127.0.0.1:{args.port}"
    seeded = subprocess.run([PY, str(SHARED / "seed_api.py"), base], capture_output=True, text=True)
    if seeded.returncode:
        raise SystemExit(f"seeding failed: {seeded.stderr[-1000:]}")
    board = seeded.stdout.strip().splitlines()[-1]
    token = subprocess.run([PY, str(SHARED / "get_token.py"), base], check=True, capture_output=True,
                           text=True).stdout.strip()
    statuses = ["TODO", "IN_PROGRESS", "IN_REVIEW", "DONE"]
    async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Bearer {token}"}, timeout=60) as http:
        node = (await http.post("/graphql", json={"query": TASKS, "variables": {"id": board}})).json()[
            "data"]["board"]["tasks"]["edges"][0]["node"]
        seen: dict[int, int] = {}
        held: list[Any] = []
        sem = asyncio.Semaphore(50)

        async def one() -> None:
            async with sem:
                await subscribe(f"ws://127.0.0.1:{args.port}/graphql", token, board, seen, held)

        rss = []
        for batch in (1, 2):
            await asyncio.gather(*(one() for _ in range(args.n)))
            while True:  # one event every subscriber receives: each is subscribed and has rendered once
                node["status"] = statuses[(statuses.index(node["status"]) + 1) % 4]
                body = (await http.post("/graphql", json={"query": UPDATE, "variables": {
                    "id": node["id"], "s": node["status"]}})).json()
                version = body["data"]["updateTask"]["version"]
                deadline = time.monotonic() + 10
                while seen.get(version, 0) < len(held) and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                if seen.get(version, 0) == len(held):
                    break
                print(f"  {seen.get(version, 0)}/{len(held)} got the event; again", file=sys.stderr)
            await asyncio.sleep(1.0)
            rss.append(await measure(proc, snapdir, batch))
            print(f"batch {batch}: {len(held)} subscribers, server RSS {rss[-1] / 1024:.1f} MiB", flush=True)
        for _ws, task in held:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws, _ in held), return_exceptions=True)
    return rss[0], rss[1]


def report(args: argparse.Namespace, snapdir: Path, rss: tuple[int, int]) -> None:
    traced = " (tracemalloc's own memory included: measure with --no-trace)" if args.depth else ""
    print(f"RSS per additional idle subscriber: {(rss[1] - rss[0]) / args.n:.1f} KiB{traced}")
    if not args.depth:
        return
    before = tracemalloc.Snapshot.load(str(snapdir / "1.snap"))
    after = tracemalloc.Snapshot.load(str(snapdir / "2.snap"))
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(ignore), after.filter_traces(ignore)
    stats = after.compare_to(before, args.by or ("traceback" if args.depth > 1 else "lineno"))
    total = sum(s.size_diff for s in stats)
    print(f"traced per subscriber: {total / args.n / 1024:.1f} KiB ({total / args.n:.0f} bytes); "
          f"blocks {sum(s.count_diff for s in stats) / args.n:.1f}")
    print(f"{'bytes/sub':>10} {'blocks/sub':>10}  site")
    for s in stats[:args.top]:
        frames = s.traceback.format(limit=args.depth, most_recent_first=True)
        where = " <- ".join(f.strip() for f in frames if f.strip().startswith("File"))
        print(f"{s.size_diff / args.n:10.0f} {s.count_diff / args.n:10.2f}  {where}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--depth", type=int, default=1, help="frames per allocation site (0: no tracemalloc)")
    ap.add_argument("--no-trace", dest="depth", action="store_const", const=0)
    ap.add_argument("--database-url")
    ap.add_argument("--port", type=int, default=8019)
    ap.add_argument("--by", choices=["lineno", "filename", "traceback"], default=None,
                    help="group sites by (default: lineno, traceback when --depth > 1)")
    ap.add_argument("--keep", type=Path, help="copy the two snapshots here")
    ap.add_argument("--serve", nargs=2, metavar=("PORT", "SNAPDIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]), args.depth)
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    with tempfile.TemporaryDirectory(prefix="ws_memory.") as tmp:
        snapdir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/taskboard.db"
        subprocess.run([str(Path(PY).parent / "taskboard"), "migrate"], env=env(url), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = (snapdir / "server.log").open("wb")
        proc = subprocess.Popen([PY, __file__, "--depth", str(args.depth), "--serve", str(args.port), tmp],
                                env=env(url), stdout=log, stderr=subprocess.STDOUT)
        try:
            import urllib.request

            for _ in range(300):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=1):
                        break
                except OSError:
                    if proc.poll() is not None:
                        raise SystemExit((snapdir / "server.log").read_text()[-2000:]) from None
                    time.sleep(0.2)
            rss = asyncio.run(client(args, proc, snapdir))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep and args.depth:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("1.snap", "2.snap"):
                (args.keep / name).write_bytes((snapdir / name).read_bytes())
        report(args, snapdir, rss)


if __name__ == "__main__":
    main()
