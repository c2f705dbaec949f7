#!/usr/bin/env python3
"""Measure Taskboard beside the reference peers, alternating, on this machine.

Workloads (the shared harness in ../shared/bench does the measuring):
  read     run_read.sh: wrk -t2 -c64 POSTing the board query, 2 server workers
  fanout   fanout.py: N graphql-transport-ws subscribers, M mutations 50 ms apart, 1 server process
  mixed    bench/mixed.lua: wrk -t2 -c64, 90% board reads and 10% updateTask status changes on
           the board's tasks, 2 server workers (every write invalidates ours's board cache)
  readplus bench/readplus.lua: the board read with each card's labels and comment count (ours only)
  queries  bench/queries.lua: wrk -t2 -c64, the API's other reads in turn (viewer, boards, myTasks,
           task, members, a task page with totalCount), 2 server workers; ours only (the peers
           implement the benchmark's subset)
A peer `ours@REV` (e.g. `--peers ours,ours@390d58b,mercurius`) is our server as it was at
that git revision, exported to bench/.work/rev-REV and run by this virtualenv on port 8011:
a regression check in the same run as today's.
Each measurement starts from a freshly seeded database and a freshly started
server; every round runs each peer once per workload, alternating, so drift on
a shared machine hits both.  Prints RESULT lines and a summary with the ratio.

Usage: .venv/bin/python bench/run.py [--rounds 3] [--workloads read,fanout] [--peers ours,mercurius]
       [--duration 20s] [--fanout-n 1000] [--fanout-m 50] [--cache on|off]
Needs: MariaDB on 127.0.0.1:3306 (root), Redis on 127.0.0.1:6379 (BENCH_REDIS_URL), wrk (apt),
node/npm (for mercurius).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = (ROOT.parent / "shared" / "bench").resolve()
WORK = ROOT / "bench" / ".work"
PY = sys.executable
PORTS = {"ours": 8010, "mercurius": 8001, "strawberry-naive": 8002}
OURS_DB = "taskboard_bench"
# `ours@REV`: our server as it was at a git revision (a regression check in the same run
# as today's), from an export of that tree, run by this virtualenv.
REV_PORT = 8011


def is_ours(peer: str) -> bool:
    return peer == "ours" or peer.startswith("ours@")


def port_of(peer: str) -> int:
    return REV_PORT if peer.startswith("ours@") else PORTS[peer]


def rev_tree(peer: str) -> Path | None:
    """The exported tree of `ours@REV` (made once), or None for today's."""
    if not peer.startswith("ours@"):
        return None
    rev = sh(["git", "-C", str(ROOT), "rev-parse", "--short", peer.split("@", 1)[1]], capture_output=True).stdout.strip()
    tree = WORK / f"rev-{rev}"
    if not (tree / "taskboard").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        sh(f"git -C {ROOT} archive {rev} | tar -x -C {tree}")
    return tree


def ours_cmd(peer: str, *args: str) -> tuple[list[str], dict[str, str], str | None]:
    """The command line (`taskboard ARGS`), the environment additions and the directory
    of `ours` or `ours@REV`."""
    tree = rev_tree(peer)
    if tree is None:
        return [str(Path(PY).parent / "taskboard"), *args], {}, None
    return [PY, "-c", "from taskboard.cli import main; main()", *args], {"PYTHONPATH": str(tree)}, str(tree)


def sh(cmd: str | list[str], check: bool = True, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=check, text=True, **kw)  # type: ignore[call-overload]


def setup() -> None:
    if shutil.which("wrk") is None:
        sh("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null")
    sh(["bash", str(SHARED / "peers" / "start_mariadb.sh")], stdout=subprocess.DEVNULL)
    sh(f"mariadb -uroot -e 'CREATE DATABASE IF NOT EXISTS {OURS_DB}'")
    WORK.mkdir(parents=True, exist_ok=True)
    peers = WORK / "peers"
    shutil.copy(SHARED / "dataset.json", WORK / "dataset.json")  # the peers' seeds read ../../dataset.json
    if not (peers / "mercurius" / "node_modules").exists():
        # shared/ is read-only: work on a copy.
        shutil.rmtree(peers, ignore_errors=True)
        shutil.copytree(SHARED / "peers", peers)
        sh("npm ci --no-audit --no-fund --loglevel=error", cwd=peers / "mercurius", stdout=subprocess.DEVNULL)
    venv = WORK / "harness-venv"
    if not (venv / "bin" / "python").exists():
        sh([sys.executable, "-m", "venv", str(venv)])
        sh([str(venv / "bin" / "pip"), "install", "-q", "-r", str(SHARED / "requirements.txt")])
    naive = peers / "strawberry-naive"
    if not (naive / ".venv" / "bin" / "python").exists():
        sh([sys.executable, "-m", "venv", str(naive / ".venv")])
        sh([str(naive / ".venv" / "bin" / "pip"), "install", "-q", "-r", str(naive / "requirements.txt")])


def wait_healthy(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                time.sleep(1.0)  # let every worker finish starting
                return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"server exited; see {log}:\n{log.read_text()[-2000:]}") from None
            time.sleep(0.2)
    raise SystemExit(f"server did not start; see {log}")


def ours_env(cache: str) -> dict[str, str]:
    return {**os.environ, "TASKBOARD_ENV": "production", "TASKBOARD_AWS": "off",
            "TASKBOARD_JWT_SECRET": "bench-only-secret-0123456789abcdef0123456789",
            "TASKBOARD_DATABASE_URL": f"mysql+asyncmy://root@127.0.0.1:3306/{OURS_DB}",
            "TASKBOARD_DATABASE_TLS": "off",  # production requires TLS; the local MariaDB has none
            # Two workers need Redis (each would otherwise fan live events out to its own sockets
            # only; `serve` refuses that). The machine's Redis, a database of its own.
            "TASKBOARD_REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
            "TASKBOARD_RESPONSE_CACHE": "1" if cache == "on" else "0"}


def seed(peer: str, cache: str) -> str | None:
    """Fresh data; returns the board id for ours (the peers use id 1)."""
    peers = WORK / "peers"
    if peer == "mercurius":
        sh("node seed.js", cwd=peers / "mercurius", stdout=subprocess.DEVNULL)
        return "1"
    if peer == "strawberry-naive":
        sh(".venv/bin/python seed.py", cwd=peers / "strawberry-naive", stdout=subprocess.DEVNULL)
        return "1"
    sh(f"mariadb -uroot -e 'DROP DATABASE IF EXISTS {OURS_DB}; CREATE DATABASE {OURS_DB}'")
    cmd, extra, cwd = ours_cmd(peer, "migrate")
    sh(cmd, env={**ours_env(cache), **extra}, cwd=cwd, stdout=subprocess.DEVNULL)
    return None


def start(peer: str, workers: int, log: Path, cache: str) -> subprocess.Popen[bytes]:
    port = port_of(peer)
    out = log.open("wb")
    if is_ours(peer):
        cmd, extra, cwd = ours_cmd(peer, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers))
        proc = subprocess.Popen(cmd, env={**ours_env(cache), **extra}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    elif peer == "mercurius":
        proc = subprocess.Popen(["node", "server.js"], cwd=WORK / "peers" / "mercurius",
                                env={**os.environ, "PORT": str(port), "WORKERS": str(workers)}, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    else:
        proc = subprocess.Popen([".venv/bin/python", "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port",
                                 str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
                                cwd=WORK / "peers" / "strawberry-naive", stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    wait_healthy(port, proc, log)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    time.sleep(1)


def task_ids(url: str, token: str, board: str) -> list[str]:
    query = "query($id: ID!) { board(id: $id) { tasks(first: 50) { edges { node { id } } } } }"
    req = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query, "variables": {"id": board}}).encode(),  # noqa: S310 - a local http URL
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - a local http URL
        body = json.load(resp)
    return [e["node"]["id"] for e in body["data"]["board"]["tasks"]["edges"]]


def gql(url: str, token: str, query: str, variables: dict[str, object]) -> dict[str, object]:
    req = urllib.request.Request(f"{url}/graphql", data=json.dumps({"query": query, "variables": variables}).encode(),  # noqa: S310 - a local http URL
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - a local http URL
        body: dict[str, object] = json.load(resp)
    assert "errors" not in body, body
    return body


def decorate(url: str, token: str, board: str) -> None:
    """What a real board's cards carry (readplus): 4 labels on the board, 2 on each task of
    the first page, and 3 comments on each."""
    labels = [gql(url, token, "mutation($b: ID!, $n: String!, $c: String!) { createLabel(boardId: $b, name: $n, "
                  "color: $c) { id } }", {"b": board, "n": f"label {i}", "c": f"#{i:02x}80c0"})
              for i in range(4)]
    ids = [lb["data"]["createLabel"]["id"] for lb in labels]  # type: ignore[index]
    for i, task in enumerate(task_ids(url, token, board)):
        gql(url, token, "mutation($t: ID!, $l: [ID!]) { updateTask(id: $t, input: {labelIds: $l}) { id } }",
            {"t": task, "l": [ids[i % 4], ids[(i + 1) % 4]]})
        for j in range(3):
            gql(url, token, "mutation($t: ID!, $b: String!) { addComment(taskId: $t, body: $b) { id } }",
                {"t": task, "b": f"comment {j} on the card"})


def run_script(workload: str, url: str, token: str, board: str, duration: str) -> subprocess.CompletedProcess[str]:
    """wrk with bench/<workload>.lua (3 s unmeasured warm-up, as run_read.sh), then one RESULT line."""
    env = {**os.environ, "TOKEN": token, "BOARD_ID": board, "TASK_IDS": ",".join(task_ids(url, token, board))}
    script = str(ROOT / "bench" / f"{workload}.lua")
    wrk = ["wrk", "-t2", "-c64", "--timeout", "30s", "-s", script, f"{url}/graphql"]
    sh([*wrk[:3], "-d3s", *wrk[3:]], env=env, capture_output=True, check=False)
    res = sh([*wrk[:3], f"-d{duration}", "--latency", *wrk[3:]], env=env, capture_output=True, check=False)
    text = res.stdout

    def ms(v: str) -> float:
        m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
        assert m, v
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", text, re.M))
    chk = dict(re.findall(r"(non200|graphql_errors|socket_errors|writes)=(\d+)", text))
    if rps and lat:
        writes = f"writes={chk['writes']} " if "writes" in chk else ""
        text += (f"RESULT {workload} url={url} rps={rps.group(1)} p50_ms={ms(lat['50']):.2f} p99_ms={ms(lat['99']):.2f} "
                 f"{writes}non200={chk.get('non200')} graphql_errors={chk.get('graphql_errors')} "
                 f"socket_errors={chk.get('socket_errors')}\n")
    bad = not (rps and lat) or int(chk.get("non200", 1)) + int(chk.get("graphql_errors", 1)) > 0
    return subprocess.CompletedProcess(res.args, 1 if bad else res.returncode, text, res.stderr)


def result_line(text: str) -> dict[str, str]:
    line = next((ln for ln in text.splitlines() if ln.startswith("RESULT")), "")
    return dict(re.findall(r"(\w+)=(\S+)", line))


def measure(peer: str, workload: str, args: argparse.Namespace, out: Path, r: int) -> dict[str, str]:
    url = f"http://127.0.0.1:{port_of(peer)}"
    board = seed(peer, args.cache)
    workers = 2 if workload in ("read", "mixed", "queries", "readplus") else 1
    proc = start(peer, workers, out / f"{peer}.{workload}.{r}.log", args.cache)
    try:
        if board is None:
            seeded = sh([PY, str(SHARED / "seed_api.py"), url], capture_output=True)
            board = seeded.stdout.strip().splitlines()[-1]
        token = sh([PY, str(SHARED / "get_token.py"), url], capture_output=True).stdout.strip()
        if workload == "read":
            res = sh(["bash", str(SHARED / "run_read.sh"), url, token, board, args.duration], capture_output=True,
                     check=False)
        elif workload in ("mixed", "queries"):
            res = run_script(workload, url, token, board, args.duration)
        elif workload == "readplus":
            decorate(url, token, board)
            res = run_script(workload, url, token, board, args.duration)
        else:
            harness = str(WORK / "harness-venv" / "bin" / "python")
            res = sh([harness, str(SHARED / "fanout.py"), url, "--token", token, "--board-id", board,
                      "-n", str(args.fanout_n), "-m", str(args.fanout_m), "--pid", str(proc.pid)],
                     capture_output=True, check=False)
        (out / f"{peer}.{workload}.{r}.txt").write_text(res.stdout + res.stderr)
        if res.returncode != 0:
            print(f"  {peer} {workload} FAILED (exit {res.returncode}); see {out}", flush=True)
        return result_line(res.stdout)
    finally:
        stop(proc)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default="read,fanout")
    ap.add_argument("--peers", default="ours,mercurius")
    ap.add_argument("--duration", default="20s")
    ap.add_argument("--fanout-n", type=int, default=1000)
    ap.add_argument("--fanout-m", type=int, default=50)
    ap.add_argument("--cache", choices=["on", "off"], default="on")
    ap.add_argument("--skip-setup", action="store_true")
    args = ap.parse_args()
    if not args.skip_setup:
        setup()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = ROOT / "bench" / "results" / stamp
    out.mkdir(parents=True)
    machine = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"), "nproc": os.cpu_count(),
        "cpu": next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                     if ln.startswith("model name")), "?"),
        "python": sys.version.split()[0], "node": sh("node -v", capture_output=True).stdout.strip(),
        "cache": args.cache, "command": " ".join(sys.argv),
    }
    (out / "machine.json").write_text(json.dumps(machine, indent=1))
    print(json.dumps(machine), flush=True)
    results: dict[tuple[str, str], list[dict[str, str]]] = {}
    for r in range(1, args.rounds + 1):
        for workload in args.workloads.split(","):
            for peer in args.peers.split(","):
                if workload in ("queries", "readplus") and not is_ours(peer):
                    continue  # the peers implement only the benchmark's subset of the contract
                res = measure(peer, workload, args, out, r)
                results.setdefault((peer, workload), []).append(res)
                print(f"round {r} {workload:6} {peer:16} {res}", flush=True)
    summary = summarize(results)
    (out / "summary.md").write_text(summary)
    print(summary)


def med(values: list[str]) -> float:
    nums = [float(v) for v in values if v not in ("", "nan")]
    return statistics.median(nums) if nums else float("nan")


def summarize(results: dict[tuple[str, str], list[dict[str, str]]]) -> str:
    lines = []
    for workload, keys in (("read", ("rps", "p50_ms", "p99_ms")),
                           ("mixed", ("rps", "p50_ms", "p99_ms", "writes")),
                           ("queries", ("rps", "p50_ms", "p99_ms")),
                           ("readplus", ("rps", "p50_ms", "p99_ms")),
                           ("fanout", ("p50_ms", "p99_ms", "max_ms", "kib_per_sub", "missing", "mut_p99_ms"))):
        peers = [p for (p, w) in results if w == workload]
        if not peers:
            continue
        lines += [f"### {workload} (medians; all runs in brackets)", "",
                  "| peer | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for p in peers:
            runs = results[(p, workload)]
            cells = [f"**{med([x.get(k, '') for x in runs]):.1f}** ({', '.join(x.get(k, '?') for x in runs)})"
                     for k in keys]
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
        for p in peers:
            if is_ours(p) and ("mercurius", workload) in results:
                lines.append(ratio_line(p, results[(p, workload)], results[("mercurius", workload)], workload))
        lines.append("")
    return "\n".join(lines)


def ratio_line(peer: str, ours: list[dict[str, str]], merc: list[dict[str, str]], workload: str) -> str:
    p99 = med([x.get("p99_ms", "") for x in ours]) / med([x.get("p99_ms", "") for x in merc])
    if workload in ("read", "mixed"):
        rps = med([x.get("rps", "") for x in ours]) / med([x.get("rps", "") for x in merc])
        return f"\nratio {peer}/mercurius req/s: {rps:.2f}; p99 {peer}/mercurius: {p99:.2f}"
    return f"\nratio p99 {peer}/mercurius: {p99:.2f}"


if __name__ == "__main__":
    main()
