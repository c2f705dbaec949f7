#!/usr/bin/env python3
"""CPU instructions our process spends on one board read, counted by valgrind's
callgrind: the same count for the same code and data whatever else the machine is
doing, so a change of a few percent shows where wrk's req/s on a shared 2-core
machine cannot (it moves 10-30% from one minute to the next).

For each tree (today's working tree, and `--rev REV` for earlier revisions, exported
as bench/run.py's `ours@REV` is), a fresh database is seeded through the API
(../shared/bench/seed_api.py against a server of that tree), then the app of that
tree answers the board read in process (httpx's ASGI transport, 8 at a time) under
callgrind, twice: 48 and 248 requests after a warm-up of 50.  The difference over
200 is the instructions of one request: start-up, seeding and warm-up cancel out.
httpx's own client work is in both trees' counts alike.

Usage: .venv/bin/python bench/instructions.py [--rev REV ...] [--cache off|on] [--skip-setup]
Needs: valgrind, MariaDB on 127.0.0.1:3306 (root), Redis on 127.0.0.1:6379 (BENCH_REDIS_URL).
About 7 minutes a tree.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run as harness  # noqa: E402  # bench/run.py: trees, seeding, servers

QUERY = ("query Board($id: ID!, $first: Int!) { board(id: $id) { tasks(first: $first) { edges { node { "
         "id title description status deadline version supervisor { id email name } assignee { id email name } "
         "} } } } }")
SMALL, LARGE = 48, 248


def drive(requests: int, board: str) -> None:
    """In this process: log in, 50 reads to warm up, then `requests` reads."""
    import httpx

    from taskboard.app import create_app

    sys.path.insert(0, str(harness.SHARED))
    import get_token

    async def main() -> None:
        app = create_app()
        body = json.dumps({"query": QUERY, "variables": {"id": board, "first": 50}})
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
            email, password = get_token.default_credentials()
            login = await client.post("/graphql", json={"query": get_token.LOGIN,
                                                        "variables": {"e": email, "p": password}})
            headers = {"authorization": f"Bearer {login.json()['data']['login']['accessToken']}",
                       "content-type": "application/json"}

            async def one() -> None:
                response = await client.post("/graphql", content=body, headers=headers)
                assert response.status_code == 200 and b'"errors"' not in response.content, response.text

            for _ in range(50):
                await one()
            for _ in range(requests // 8):
                await asyncio.gather(*(one() for _ in range(8)))

    asyncio.run(main())


def seeded(peer: str, cache: str, out: Path) -> str:
    """A fresh database seeded through a server of the peer's tree; the board's id."""
    harness.seed(peer, cache)
    proc = harness.start(peer, 1, out / f"{peer}.seed.log", cache)
    try:
        url = f"http://127.0.0.1:{harness.port_of(peer)}"
        seeded_out = harness.sh([harness.PY, str(harness.SHARED / "seed_api.py"), url], capture_output=True)
        return seeded_out.stdout.strip().splitlines()[-1]
    finally:
        harness.stop(proc)


def count(peer: str, cache: str, board: str, requests: int, out: Path) -> int:
    _, extra, cwd = harness.ours_cmd(peer)
    log = out / f"{peer}.{requests}.callgrind.log"
    env = {**harness.ours_env(cache), **extra}
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out / f'{peer}.{requests}.out'}",
           harness.PY, str(Path(__file__).resolve()), "--drive", str(requests), "--board", board]
    with log.open("wb") as f:
        subprocess.run(cmd, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", log.read_text())
    if found is None:
        raise SystemExit(f"no instruction count in {log}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", action="append", default=[], help="an earlier revision to count too")
    ap.add_argument("--cache", choices=["on", "off"], default="off")
    ap.add_argument("--skip-setup", action="store_true")
    ap.add_argument("--drive", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--board", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.drive is not None:
        drive(args.drive, args.board)
        return
    if not args.skip_setup:
        harness.setup()
    out = BENCH / "results" / ("instructions-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    out.mkdir(parents=True)
    for peer in ["ours", *(f"ours@{rev}" for rev in args.rev)]:
        board = seeded(peer, args.cache, out)
        small, large = (count(peer, args.cache, board, n, out) for n in (SMALL, LARGE))
        print(f"RESULT instructions peer={peer} cache={args.cache} per_request={(large - small) // (LARGE - SMALL)}",
              flush=True)


if __name__ == "__main__":
    main()
