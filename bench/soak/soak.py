#!/usr/bin/env python3
"""The soak (issue 8): minutes of mixed traffic on two `taskboard serve`
processes (A and B) sharing one database and one Redis, while the AWS endpoint,
Redis and server B are stopped and restarted; then it checks that nothing was
lost and nothing duplicated, and that server memory stayed flat.

One orchestrator process runs moto in-process (`LocalAWS`), an on/off TCP
proxy in front of it (the servers' AWS_ENDPOINT_URL), a private redis-server on
a free port and the two servers (A runs the mail worker, both run the outbox
relay), and drives the load:
  writers   createTask / updateTask (status, title, assignee) / deleteTask and,
            rarely, add/remove a guest member, as random members, on A or B;
  readers   board page queries (tasks, members, activity) on A or B;
  subscribers  `boardEvents(boardId, afterSeq)` over graphql-transport-ws, one
            socket each, spread over the boards and both servers; whenever the
            socket closes (or its server dies) they reconnect to the same
            server, retrying until it is back, with afterSeq = last seq seen.
Faults (fractions of --duration): AWS proxy off 10%..30%; redis-server
SIGKILLed at 40%, restarted at 52%; server B SIGKILLed at 62%, restarted at 74%
(B's subscribers keep retrying B and resume there with afterSeq).

Then it drains (outbox backlog 0 on A's /metrics, the notify queue empty and
the sent-mail count stable, subscribers caught up) and verifies:
changes committed (sum of boards.event_seq) = outbox rows = activity items in
DynamoDB = distinct events on the bus (from a tap queue behind a catch-all
rule); mails expected (recipients with sendEmail of task events) vs sent
(moto's SES, by (eventId, recipient)); SMS expected vs sent (per number);
every subscriber got every seq from its first afterSeq to the board's final
seq exactly once.  Exit status 1 when anything is lost or duplicated.

Usage: .venv/bin/python bench/soak/soak.py [--duration 240] [--subscribers 200]
       [--users 20] [--boards 4] [--database-url mysql+asyncmy://root@127.0.0.1:3306/taskboard_soak]
Prints: RESULT soak ... and a table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from soak_proxy import OnOffProxy, free_port  # noqa: E402

from models.events import ACCOUNT_MAIL_DETAIL_TYPES, TASK_MAIL_DETAIL_TYPES  # noqa: E402

TASKBOARD = str(Path(sys.executable).parent / "taskboard")
PROTOCOL = "graphql-transport-ws"
SECRET = "soak-only-secret-0123456789abcdef0123456789abcdef"  # noqa: S105 - a local bench key
PASSWORD = "soak-password-1"  # noqa: S105 - throwaway bench accounts
TASK_DETAIL_TYPES = set(TASK_MAIL_DETAIL_TYPES)
STATUSES = ["TODO", "IN_PROGRESS", "IN_REVIEW", "DONE"]

SIGNUP = "mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken user { id } } }"
REFRESH = "mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }"
SETTINGS = ("mutation($i: NotificationSettingsInput!) { updateNotificationSettings(input: $i) "
            "{ emailOnTaskChange smsOnTaskChange phoneNumber } }")
CREATE_BOARD = "mutation($n: String!) { createBoard(name: $n) { id } }"
ADD_MEMBER = "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }"
REMOVE_MEMBER = "mutation($b: ID!, $u: ID!) { removeBoardMember(boardId: $b, userId: $u) }"
CREATE_TASK = "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }"
UPDATE_TASK = "mutation($t: ID!, $i: UpdateTaskInput!) { updateTask(id: $t, input: $i) { id version } }"
DELETE_TASK = "mutation($t: ID!) { deleteTask(id: $t) }"
LAST_SEQ = "query($b: ID!) { board(id: $b) { lastSeq } }"
BOARD_PAGE = ("query($b: ID!) { board(id: $b) { name lastSeq viewerRole members { role user { email } } "
              "tasks(first: 50) { totalCount edges { node { id title status version assignee { email } "
              "supervisor { email } } } } activity(first: 20) { edges { node { kind message at } } } } }")
SUBSCRIPTION = ("subscription($b: ID!, $s: Int) { boardEvents(boardId: $b, afterSeq: $s) "
                "{ seq kind taskId actorEmail } }")

rng = random.Random()  # noqa: S311 - load generation, not crypto


# --------------------------------------------------------------------------- config


@dataclass
class SoakConfig:
    duration: float = 240.0
    subscribers: int = 200
    users: int = 20
    boards: int = 4
    database_url: str = "mysql+asyncmy://root@127.0.0.1:3306/taskboard_soak"
    writers: int = 6
    write_pause: float = 0.6  # mean seconds between one writer's operations
    readers: int = 2
    read_pause: float = 1.0
    seed_tasks: int = 8  # per board
    # Fault schedule, as fractions of the duration.
    aws_off: tuple[float, float] = (0.10, 0.30)
    redis_down: tuple[float, float] = (0.40, 0.52)
    b_down: tuple[float, float] = (0.62, 0.74)
    # Pause the writers for a moment before killing B (the short test: a relay killed
    # while it holds a lease leaves rows undelivered for the 120 s lease).
    quiet_kill: bool = False
    drain_timeout: float = 200.0
    catch_up_timeout: float = 45.0
    workdir: Path | None = None
    verbose: bool = True
    seed: int | None = None


@dataclass
class SoakResult:
    figures: dict[str, Any]
    problems: list[str]
    warnings: list[str]
    result_line: str
    table: str

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------- helpers


def log(cfg: SoakConfig, t0: float, msg: str) -> None:
    if cfg.verbose:
        print(f"[{time.monotonic() - t0:7.1f}s] {msg}", flush=True)


def rss_kib(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def mib(kib: int | None) -> str:
    return "-" if kib is None else f"{kib / 1024:.1f}"


async def reset_database(url: str) -> None:
    """A fresh, empty database: MySQL drop/create, SQLite a deleted file."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path + suffix)
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    parsed = make_url(url)
    name = parsed.database
    if not name or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise SystemExit(f"refusing to reset database {name!r}")
    engine = create_async_engine(parsed.set(database=""))
    try:
        async with engine.begin() as conn:
            found = await conn.execute(text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"),
                                       {"n": name})
            if found.first() is not None:  # (IF EXISTS on a missing one warns, and pytest makes warnings errors)
                await conn.execute(text(f"DROP DATABASE `{name}`"))
            await conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    finally:
        await engine.dispose()


class GraphQLError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            with contextlib.suppress(OSError):
                _, w = await asyncio.open_connection("127.0.0.1", self.port)
                w.close()
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class Server:
    """One `taskboard serve` subprocess; restartable on the same port."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.env = env
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.logs: list[Path] = []
        self.up = False

    async def start(self, wait: float = 60) -> None:
        self.starts += 1
        path = self.workdir / f"server-{self.name}-{self.starts}.log"
        self.logs.append(path)
        out = path.open("wb")
        self.proc = subprocess.Popen([TASKBOARD, "serve", "--port", str(self.port)], env=self.env,
                                     cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        deadline = time.monotonic() + wait
        async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server {self.name} exited: {path.read_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        self.up = True
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server {self.name} did not start: {path.read_text()[-3000:]}")

    def kill(self) -> None:
        self.up = False
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        self.up = False
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


@dataclass
class User:
    index: int
    id: str
    email: str
    access: str
    refresh: str
    issued: float
    email_on: bool = True
    phone: str | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class BoardState:
    id: str
    owner: User
    members: list[User]
    guest: User
    guest_in: bool = False
    guest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: dict[str, User] = field(default_factory=dict)  # task id -> supervisor


@dataclass
class Subscriber:
    index: int
    board: BoardState
    user: User
    server: Server
    first_after: int | None = None
    last: int = 0
    counts: Counter[int] = field(default_factory=Counter)
    sessions: int = 0
    connect_failures: int = 0
    gaps: int = 0  # a seq more than last+1 within one subscription
    out_of_order: int = 0  # a seq <= last (a repeat) within one subscription or after a resume
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)
    connected: bool = False


@dataclass
class Stats:
    ops: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


# --------------------------------------------------------------------------- the soak


class Soak:
    def __init__(self, cfg: SoakConfig) -> None:
        self.cfg = cfg
        self.t0 = time.monotonic()
        self.run_id = uuid.uuid4().hex[:8]
        self.stats = Stats()
        self.users: list[User] = []
        self.guests: list[User] = []
        self.boards: list[BoardState] = []
        self.subscribers: list[Subscriber] = []
        self.tap: dict[str, int] = Counter()  # eventId -> times seen on the bus
        self.account_tap: dict[str, int] = Counter()  # account mail events seen on the bus
        self.tap_keys: dict[str, tuple[str, int]] = {}
        self.timeline: list[tuple[float, str]] = []
        self.rss: dict[str, list[tuple[float, int | None]]] = defaultdict(list)
        self.loading = False
        self.stopping = asyncio.Event()
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.b_first_start_rss: int | None = None

    def log(self, msg: str) -> None:
        log(self.cfg, self.t0, msg)

    def mark(self, what: str) -> None:
        self.timeline.append((time.monotonic() - self.t0, what))
        self.log(what)

    # --- GraphQL over HTTP -------------------------------------------------

    async def gql(self, server: Server, query: str, variables: dict[str, Any], token: str | None = None
                  ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        r = await self.clients[server.name].post("/graphql", json={"query": query, "variables": variables},
                                                 headers=headers)
        body: dict[str, Any] = r.json()
        if body.get("errors"):
            err = body["errors"][0]
            raise GraphQLError(str((err.get("extensions") or {}).get("code", "?")), str(err.get("message")))
        data: dict[str, Any] = body["data"]
        return data

    async def token(self, user: User) -> str:
        """The user's access token, refreshed (rotated) well before its 900 s expiry."""
        if time.monotonic() - user.issued < 600:
            return user.access
        async with user.lock:
            if time.monotonic() - user.issued >= 600:
                for server in (self.a, self.b, self.a):
                    try:
                        out = (await self.gql(server, REFRESH, {"r": user.refresh}))["refreshToken"]
                    except (httpx.HTTPError, GraphQLError, ValueError):
                        await asyncio.sleep(0.5)
                        continue
                    user.access, user.refresh, user.issued = out["accessToken"], out["refreshToken"], time.monotonic()
                    self.stats.ok["refreshToken"] += 1
                    break
        return user.access

    # --- setup -------------------------------------------------------------

    async def start_infrastructure(self, workdir: Path) -> None:
        from notify.emulator import LocalAWS, sent_mails, sent_sms

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
        self.aws = LocalAWS()
        # moto's backends live in this process; an earlier run (a test session) may have sent mail already.
        self.mail_baseline = {m["id"] for m in sent_mails("us-east-1")}
        self.sms_baseline = {m["id"] for m in sent_sms("us-east-1")}
        self.proxy = OnOffProxy(self.aws.port)
        await self.proxy.on()
        self.redis = RedisServer(workdir)
        await self.redis.start()
        await reset_database(self.cfg.database_url)
        self.names = {"table": f"soak-activity-{self.run_id}", "bus": f"soak-{self.run_id}",
                      "queue": f"soak-notify-{self.run_id}"}
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TASKBOARD_", "AWS_"))}
        env = {**base, "TASKBOARD_ENV": "test", "TASKBOARD_AWS": "aws", "TASKBOARD_PROVISION": "1",
               "AWS_ENDPOINT_URL": self.proxy.endpoint_url, "AWS_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "TASKBOARD_DATABASE_URL": self.cfg.database_url, "TASKBOARD_REDIS_URL": self.redis.url,
               "TASKBOARD_JWT_SECRET": SECRET, "TASKBOARD_ARGON2_MEMORY_KIB": "1024",
               "TASKBOARD_ARGON2_TIME_COST": "1", "TASKBOARD_LOGIN_FAILURES_PER_IP": "1000000",
               "TASKBOARD_RELAY_SWEEP_INTERVAL": "1", "TASKBOARD_LIVE_DEGRADED_POLL": "1",
               "TASKBOARD_ACTIVITY_TABLE": self.names["table"], "TASKBOARD_EVENT_BUS": self.names["bus"],
               "TASKBOARD_NOTIFY_QUEUE": self.names["queue"], "TASKBOARD_NOTIFY_WORKER": "0",
               # The soak counts every mail its changes cause: no daily cap in the way.
               "TASKBOARD_MAIL_QUOTA": "100000000", "TASKBOARD_SMS_QUOTA": "100000000"}
        self.a = Server("A", {**env, "TASKBOARD_NOTIFY_WORKER": "1"}, workdir)
        self.b = Server("B", env, workdir)
        for server in (self.a, self.b):
            self.clients[server.name] = httpx.AsyncClient(base_url=server.url, timeout=15,
                                                          limits=httpx.Limits(max_connections=50))
        await self.a.start()  # migrates and provisions first
        await self.b.start()
        self.mark(f"A (pid {self.a.pid}) and B (pid {self.b.pid}) up; redis :{self.redis.port}; "
                  f"AWS proxy :{self.proxy.port} -> moto :{self.aws.port}")
        import aioboto3

        self.session = aioboto3.Session(region_name="us-east-1")
        async with self.session.client("sqs", endpoint_url=self.aws.endpoint_url) as sqs, \
                self.session.client("events", endpoint_url=self.aws.endpoint_url) as events:
            self.tap_url = (await sqs.create_queue(QueueName=f"soak-tap-{self.run_id}"))["QueueUrl"]
            tap_arn = (await sqs.get_queue_attributes(QueueUrl=self.tap_url, AttributeNames=["QueueArn"])
                       )["Attributes"]["QueueArn"]
            await events.put_rule(Name=f"soak-tap-{self.run_id}", EventBusName=self.names["bus"],
                                  EventPattern=json.dumps({"source": ["taskboard"]}), State="ENABLED")
            await events.put_targets(Rule=f"soak-tap-{self.run_id}", EventBusName=self.names["bus"],
                                     Targets=[{"Id": "tap", "Arn": tap_arn}])
            self.notify_url = (await sqs.get_queue_url(QueueName=self.names["queue"]))["QueueUrl"]

    async def signup(self, i: int, tag: str) -> User:
        email = f"soak-{self.run_id}-{tag}{i}@example.com"
        out = (await self.gql(self.a, SIGNUP, {"i": {"email": email, "name": f"{tag.title()} {i}",
                                                     "password": PASSWORD}}))["signUp"]
        return User(i, out["user"]["id"], email, out["accessToken"], out["refreshToken"], time.monotonic())

    async def seed(self) -> None:
        cfg = self.cfg
        self.users = list(await asyncio.gather(*(self.signup(i, "u") for i in range(cfg.users))))
        self.guests = list(await asyncio.gather(*(self.signup(i, "g") for i in range(cfg.boards))))
        phone_base = rng.randrange(10_000_000, 89_999_999)
        for u in self.users:
            settings: dict[str, Any] = {}
            if u.index % 5 == 1:  # opted out of mail
                settings["emailOnTaskChange"] = False
                u.email_on = False
            if u.index % 4 == 2:  # SMS on (with mail, or, for some, without)
                u.phone = f"+8210{phone_base + u.index:08d}"
                settings.update(phoneNumber=u.phone, smsOnTaskChange=True)
            if settings:
                await self.gql(self.a, SETTINGS, {"i": settings}, u.access)
        await self.verify_addresses()
        for b in range(cfg.boards):
            owner = self.users[b % len(self.users)]
            board_id = (await self.gql(self.a, CREATE_BOARD, {"n": f"Soak {b}"}, owner.access))["createBoard"]["id"]
            state = BoardState(board_id, owner, [owner], self.guests[b])
            for u in self.users:
                if u is not owner:
                    await self.gql(self.a if u.index % 2 else self.b, ADD_MEMBER, {"b": board_id, "e": u.email},
                                   owner.access)
                    state.members.append(u)
            for t in range(cfg.seed_tasks):
                sup = rng.choice(state.members)
                task = (await self.gql(self.a, CREATE_TASK, {"i": {
                    "boardId": board_id, "title": f"seed {t}", "assigneeId": rng.choice(state.members).id,
                    "deadline": f"2030-01-0{1 + t % 9}"}}, sup.access))["createTask"]
                state.tasks[task["id"]] = sup
            self.boards.append(state)
        self.mark(f"seeded {len(self.users)} users (+{len(self.guests)} guests), {len(self.boards)} boards, "
                  f"{cfg.seed_tasks * cfg.boards} tasks")

    # --- load --------------------------------------------------------------

    def pick_server(self) -> Server:
        return self.a if rng.random() < 0.5 else self.b

    async def attempt(self, op: str, server: Server, coro: Awaitable[dict[str, Any]]) -> dict[str, Any] | None:
        self.stats.ops[op] += 1
        try:
            out = await coro
        except GraphQLError as exc:
            self.stats.errors[f"{op} {exc.code}"] += 1
            return None
        except httpx.ConnectError:
            self.stats.errors[f"{op} refused ({server.name} down)"] += 1
            await asyncio.sleep(0.2)
            return None
        except (httpx.HTTPError, ValueError) as exc:
            self.stats.errors[f"{op} {type(exc).__name__} ({server.name})"] += 1
            await asyncio.sleep(0.2)
            return None
        self.stats.ok[op] += 1
        return out

    async def write_once(self) -> None:
        board = rng.choice(self.boards)
        server = self.pick_server()
        roll = rng.random()
        if roll < 0.02:
            if board.guest_lock.locked():
                return
            async with board.guest_lock:
                token = await self.token(board.owner)
                if board.guest_in:
                    out = await self.attempt("removeBoardMember", server, self.gql(
                        server, REMOVE_MEMBER, {"b": board.id, "u": board.guest.id}, token))
                else:
                    out = await self.attempt("addBoardMember", server, self.gql(
                        server, ADD_MEMBER, {"b": board.id, "e": board.guest.email}, token))
                if out is not None:
                    board.guest_in = not board.guest_in
            return
        if roll < 0.35 or len(board.tasks) < 3:
            sup = rng.choice(board.members)
            task_input: dict[str, Any] = {"boardId": board.id, "title": f"t{rng.randrange(10**6)}",
                                          "status": rng.choice(STATUSES)}
            if rng.random() < 0.8:
                task_input["assigneeId"] = rng.choice(board.members).id
            out = await self.attempt("createTask", server, self.gql(server, CREATE_TASK, {"i": task_input},
                                                                      await self.token(sup)))
            if out is not None:
                board.tasks[out["createTask"]["id"]] = sup
            return
        task_id, sup = rng.choice(list(board.tasks.items()))
        actor = sup if rng.random() < 0.8 else board.owner
        token = await self.token(actor)
        if roll < 0.92:
            kind = rng.random()
            if kind < 0.55:
                op, change = "updateTask status", {"status": rng.choice(STATUSES)}
            elif kind < 0.75:
                op, change = "updateTask title", {"title": f"t{rng.randrange(10**6)}"}
            else:
                op = "updateTask assignee"
                change = {"assigneeId": rng.choice(board.members).id if rng.random() < 0.9 else None}
            out = await self.attempt(op, server, self.gql(server, UPDATE_TASK, {"t": task_id, "i": change}, token))
        else:
            out = await self.attempt("deleteTask", server, self.gql(server, DELETE_TASK, {"t": task_id}, token))
            if out is not None:
                board.tasks.pop(task_id, None)

    async def writer(self) -> None:
        while self.loading:
            if not self.paused.is_set():
                await self.paused.wait()
                continue
            await self.write_once()
            await asyncio.sleep(rng.expovariate(1 / self.cfg.write_pause))

    async def reader(self) -> None:
        while self.loading:
            board = rng.choice(self.boards)
            user = rng.choice(board.members)
            server = self.pick_server()
            await self.attempt("board page", server, self.gql(server, BOARD_PAGE, {"b": board.id},
                                                              await self.token(user)))
            await asyncio.sleep(rng.expovariate(1 / self.cfg.read_pause))

    # --- subscribers -------------------------------------------------------

    async def subscriber(self, sub: Subscriber) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        while not self.stopping.is_set():
            try:
                token = await self.token(sub.user)
                if sub.first_after is None:
                    data = await self.gql(sub.server, LAST_SEQ, {"b": sub.board.id}, token)
                    sub.first_after = sub.last = int(data["board"]["lastSeq"])
                async with connect(sub.server.ws_url, subprotocols=[PROTOCOL],  # type: ignore[list-item]
                                   open_timeout=5, close_timeout=1, max_queue=None) as ws:
                    await ws.send(json.dumps({"type": "connection_init",
                                              "payload": {"authorization": f"Bearer {token}"}}))
                    ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if ack.get("type") != "connection_ack":
                        sub.errors[f"no ack: {ack.get('type')}"] += 1
                        raise ConnectionError("no ack")
                    sub.sessions += 1
                    resume_from = sub.last
                    await ws.send(json.dumps({"id": "s", "type": "subscribe", "payload": {
                        "query": SUBSCRIPTION, "variables": {"b": sub.board.id, "s": resume_from}}}))
                    sub.connected = True
                    async for frame in ws:
                        msg = json.loads(frame)
                        kind = msg.get("type")
                        if kind == "ping":
                            await ws.send('{"type":"pong"}')
                        elif kind == "next":
                            payload = msg["payload"]
                            if payload.get("errors"):
                                code = (payload["errors"][0].get("extensions") or {}).get("code", "?")
                                sub.errors[f"next with errors {code}"] += 1
                                continue
                            seq = int(payload["data"]["boardEvents"]["seq"])
                            sub.counts[seq] += 1
                            if seq <= sub.last:
                                sub.out_of_order += 1
                            else:
                                if seq != sub.last + 1:
                                    sub.gaps += 1
                                sub.last = seq
                        elif kind == "error":
                            code = (msg.get("payload") or [{}])[0].get("extensions", {}).get("code", "?")
                            sub.errors[f"error {code}"] += 1
                            break
                        elif kind == "complete":
                            sub.errors["complete"] += 1
                            break
                sub.closes[str(ws.close_code)] += 1
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, WebSocketException, ConnectionError, httpx.HTTPError, GraphQLError,
                    ValueError) as exc:
                if sub.connected:
                    sub.closes[type(exc).__name__] += 1
                else:
                    sub.connect_failures += 1
            sub.connected = False
            if not self.stopping.is_set():
                await asyncio.sleep(0.3 + rng.random() * 0.7)

    # --- faults ------------------------------------------------------------

    async def at(self, fraction: float, start: float) -> None:
        delay = start + fraction * self.cfg.duration - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def faults(self, start: float) -> None:
        cfg = self.cfg
        await self.at(cfg.aws_off[0], start)
        await self.proxy.off()
        self.mark("FAULT AWS endpoint off (proxy refuses and resets connections)")
        await self.at(cfg.aws_off[1], start)
        await self.proxy.on()
        self.mark("AWS endpoint on")
        await self.at(cfg.redis_down[0], start)
        self.redis.kill()
        self.mark("FAULT redis-server SIGKILLed")
        await self.at(cfg.redis_down[1], start)
        await self.redis.start()
        self.mark("redis-server restarted (empty)")
        await self.at(cfg.b_down[0], start)
        if cfg.quiet_kill:
            self.paused.clear()
            await asyncio.sleep(2.5)
        self.b_end_rss_first = rss_kib(self.b.pid)
        self.b.kill()
        self.paused.set()
        self.mark(f"FAULT server B SIGKILLed (RSS before {mib(self.b_end_rss_first)} MiB)")
        await self.at(cfg.b_down[1], start)
        await self.b.start()
        self.mark(f"server B restarted (pid {self.b.pid})")

    async def sample_rss(self) -> None:
        while True:
            now = time.monotonic() - self.t0
            self.rss["A"].append((now, rss_kib(self.a.pid)))
            self.rss["B"].append((now, rss_kib(self.b.pid)))
            await asyncio.sleep(5)

    async def tap_reader(self) -> None:
        async with self.session.client("sqs", endpoint_url=self.aws.endpoint_url) as sqs:
            while True:
                try:
                    resp = await sqs.receive_message(QueueUrl=self.tap_url, MaxNumberOfMessages=10,
                                                     WaitTimeSeconds=1)
                except Exception:  # moto under load; try again
                    await asyncio.sleep(0.5)
                    continue
                messages = resp.get("Messages", [])
                for m in messages:
                    body = json.loads(m["Body"])
                    if body.get("detail-type") in ACCOUNT_MAIL_DETAIL_TYPES:
                        # A user's own mail (verification at sign-up, ...): its outbox is
                        # account_messages, not board_events; counted apart.
                        self.account_tap[str((body.get("detail") or {}).get("eventId"))] += 1
                        continue
                    detail = body.get("detail") or {}
                    event_id = str(detail.get("eventId"))
                    self.tap[event_id] += 1
                    self.tap_keys[event_id] = (str(detail.get("boardId")), int(detail.get("seq") or 0))
                if messages:
                    await sqs.delete_message_batch(QueueUrl=self.tap_url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    # --- drain -------------------------------------------------------------

    async def metric(self, server: Server, name: str) -> float | None:
        try:
            text = (await self.clients[server.name].get("/metrics")).text
        except httpx.HTTPError:
            return None
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    async def wait_for(self, what: str, check: Callable[[], Awaitable[bool]], limit: float,
                       interval: float = 1.0) -> bool:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if await check():
                self.mark(f"drained: {what}")
                return True
            await asyncio.sleep(interval)
        self.mark(f"DRAIN TIMEOUT: {what}")
        return False

    async def notify_queue_empty(self) -> bool:
        async with self.session.client("sqs", endpoint_url=self.aws.endpoint_url) as sqs:
            attrs = (await sqs.get_queue_attributes(QueueUrl=self.notify_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]))["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0

    async def verify_addresses(self) -> None:
        """Task mail and SMS go only to verified addresses and numbers: the soak's
        people are confirmed directly (the account flows have their own tests)."""
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(self.cfg.database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(
                    "UPDATE users SET email_verified_at = UTC_TIMESTAMP(6), phone_verified_at = "
                    "CASE WHEN phone_number IS NULL THEN NULL ELSE UTC_TIMESTAMP(6) END WHERE email LIKE :p"),
                    {"p": f"soak-{self.run_id}-%"})
        finally:
            await engine.dispose()

    # --- verification ------------------------------------------------------

    async def read_database(self) -> tuple[dict[str, int], list[dict[str, Any]]]:
        from sqlalchemy import text
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(self.cfg.database_url)
        try:
            async with engine.connect() as conn:
                seqs = {r[0]: int(r[1]) for r in await conn.execute(text("SELECT id, event_seq FROM boards"))}
                rows = []
                for r in await conn.execute(text(
                        "SELECT id, board_id, seq, detail_type, payload, attempts FROM board_events")):
                    payload = r[4] if isinstance(r[4], dict) else json.loads(r[4])
                    rows.append({"id": r[0], "board_id": r[1], "seq": int(r[2]), "detail_type": r[3],
                                 "payload": payload, "attempts": int(r[5] or 0)})
        finally:
            await engine.dispose()
        return seqs, rows

    async def scan_keys(self, prefix: str, state: str | None = None) -> list[tuple[str, str]]:
        """The (PK, SK) of the activity table's items whose PK starts with `prefix`
        (and, with `state`, whose mailer marker is in that state)."""
        keys: list[tuple[str, str]] = []
        where, values = "begins_with(PK, :p)", {":p": {"S": prefix}}
        if state is not None:
            where, values = where + " AND #state = :state", {**values, ":state": {"S": state}}
        async with self.session.client("dynamodb", endpoint_url=self.aws.endpoint_url) as ddb:
            kwargs: dict[str, Any] = {"TableName": self.names["table"], "ProjectionExpression": "PK, SK",
                                      "FilterExpression": where, "ExpressionAttributeValues": values}
            if state is not None:
                kwargs["ExpressionAttributeNames"] = {"#state": "State"}
            while True:
                page = await ddb.scan(**kwargs)
                keys += [(i["PK"]["S"], i["SK"]["S"]) for i in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return keys

    async def activity_items(self) -> list[tuple[str, str]]:
        return await self.scan_keys("BOARD#")

    async def mail_diagnosis(self, missing: list[tuple[str, str]], extra: list[tuple[str, str]]) -> str:
        """What the mailer's idempotency markers and A's log say about some missing mails."""
        out = []
        logs = "\n".join(p.read_text(errors="replace") for p in self.a.logs)
        async with self.session.client("dynamodb", endpoint_url=self.aws.endpoint_url) as ddb:
            for event_id, address in missing:
                item = (await ddb.get_item(TableName=self.names["table"], Key={
                    "PK": {"S": f"MAIL#{event_id}"}, "SK": {"S": f"{address}#email"}})).get("Item")
                marker = f"marker SentAt {item['SentAt']['S']}" if item else "no marker"
                lines = [ln[:300] for ln in logs.splitlines() if event_id in ln]
                out.append(f"missing {event_id} -> {address}: {marker}; A log: {lines[:4]}")
        for event_id, address in extra:
            lines = [ln[:300] for ln in logs.splitlines() if event_id in ln]
            out.append(f"unexpected {event_id} -> {address}; A log: {lines[:4]}")
        return " | ".join(out)

    async def verify(self) -> SoakResult:
        from notify.emulator import sent_mails, sent_sms

        problems: list[str] = []
        warnings: list[str] = []
        seqs, rows = await self.read_database()
        changes = sum(seqs.values())
        by_board: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            by_board[r["board_id"]].append(r["seq"])
        for board_id, final in seqs.items():
            if sorted(by_board[board_id]) != list(range(1, final + 1)):
                problems.append(f"board {board_id}: outbox seqs are not 1..{final}")
        if changes != len(rows):
            problems.append(f"changes committed {changes} != outbox rows {len(rows)}")

        items = await self.activity_items()
        item_counts = Counter(items)
        expected_items = {(f"BOARD#{r['board_id']}", f"{r['seq']:012d}") for r in rows}
        items_missing = len(expected_items - set(item_counts))
        items_extra = len(set(item_counts) - expected_items)
        if items_missing or items_extra or len(items) != changes:
            problems.append(f"activity items {len(items)} (missing {items_missing}, unexpected {items_extra}) "
                            f"!= changes {changes}")

        event_ids = {r["id"] for r in rows}
        bus_total = sum(self.tap.values())
        bus_distinct = len(set(self.tap) & event_ids)
        bus_unknown = len(set(self.tap) - event_ids)
        bus_missing = len(event_ids - set(self.tap))
        bus_dup = sum(n - 1 for n in self.tap.values() if n > 1)
        if bus_missing or bus_unknown:
            problems.append(f"bus: {bus_missing} events missing, {bus_unknown} unknown")
        if bus_dup:
            warnings.append(f"bus: {bus_dup} events delivered twice (relay redelivery; at-least-once by design)")
        redelivered = sum(1 for r in rows if r["attempts"] > 1)

        expected_mail: Counter[tuple[str, str]] = Counter()
        expected_sms: Counter[str] = Counter()
        for r in rows:
            if r["detail_type"] not in TASK_DETAIL_TYPES:
                continue
            for rcpt in r["payload"].get("recipients") or []:
                if rcpt.get("sendEmail") and rcpt.get("email"):
                    expected_mail[(r["id"], str(rcpt["email"]).lower())] += 1
                if rcpt.get("smsNumber"):
                    expected_sms[str(rcpt["smsNumber"])] += 1
        sent: Counter[tuple[str, str]] = Counter()
        task_event_ids = {str(r["id"]) for r in rows if r["detail_type"] in TASK_DETAIL_TYPES}
        for m in sent_mails("us-east-1"):
            # Account mail (verification at sign-up) and "added to a board" mail are not task mail.
            if m["id"] in self.mail_baseline or str(m["event_id"]) not in task_event_ids:
                continue
            for to in m["to"]:
                sent[(str(m["event_id"]), parseaddr(to)[1].lower())] += 1
        mails_sent = sum(sent.values())
        # A send whose answer was lost (the AWS-off fault can catch one in flight) leaves
        # its marker 'sending' (notify.mailer): it may be out, and it is sent again only
        # when that goes stale (STALE_CLAIM_SECONDS), after this soak.  Such a mail, if
        # not seen, is reported as in doubt rather than missing.
        in_doubt = {(pk.removeprefix("MAIL#"), sk.lower()) for pk, sk in await self.scan_keys("MAIL#", "sending")}
        missing_pairs = expected_mail - sent
        doubtful = [pair for pair in missing_pairs if (pair[0], f"{pair[1]}#email") in in_doubt]
        mails_missing = sum(n for pair, n in missing_pairs.items() if pair not in doubtful)
        mails_dup = sum((sent - expected_mail).values())
        if mails_missing or mails_dup:
            detail = await self.mail_diagnosis([p for p in missing_pairs if p not in doubtful][:5],
                                               list((sent - expected_mail).keys())[:5])
            problems.append(f"mail: expected {sum(expected_mail.values())}, sent {mails_sent}, "
                            f"missing {mails_missing}, duplicated/unexpected {mails_dup}; {detail}")
        if in_doubt:
            warnings.append(f"{len(in_doubt)} mail/SMS deliveries in doubt (send outcome unknown, marker "
                            f"'sending'), {len(doubtful)} of them mails not seen: {sorted(in_doubt)[:5]}")
        phones = {u.phone for u in self.users if u.phone}
        sms = Counter(m["to"] for m in sent_sms("us-east-1") if m["id"] not in self.sms_baseline
                      and m["to"] in phones)
        doubtful_sms = Counter(sk.removesuffix("#sms") for _, sk in in_doubt if sk.endswith("#sms"))
        sms_missing = sum(max(0, n - doubtful_sms[number]) for number, n in (expected_sms - sms).items())
        sms_dup = sum((sms - expected_sms).values())
        if sms_missing or sms_dup:
            problems.append(f"sms: expected {sum(expected_sms.values())}, sent {sum(sms.values())}, "
                            f"missing {sms_missing}, duplicated/unexpected {sms_dup}")

        sub_expected = sub_received = sub_missing = sub_dup = sub_gaps = 0
        sessions = connect_failures = 0
        errors: Counter[str] = Counter()
        closes: Counter[str] = Counter()
        worst: list[str] = []
        for s in self.subscribers:
            final = seqs[s.board.id]
            start = s.first_after if s.first_after is not None else final
            want = set(range(start + 1, final + 1))
            got = set(s.counts)
            missing = want - got
            dup = sum(n - 1 for n in s.counts.values() if n > 1) + len(got - want)
            sub_expected += len(want)
            sub_received += sum(s.counts.values())
            sub_missing += len(missing)
            sub_dup += dup
            sub_gaps += s.gaps
            sessions += s.sessions
            connect_failures += s.connect_failures
            errors.update(s.errors)
            closes.update(s.closes)
            if (missing or dup) and len(worst) < 5:
                worst.append(f"subscriber {s.index} ({s.server.name}, board {s.board.id}, after {start}): "
                             f"missing {sorted(missing)[:10]}, dup {dup}")
        if sub_missing or sub_dup:
            problems.append(f"subscribers: {sub_missing} deliveries missing, {sub_dup} duplicated; "
                            + "; ".join(worst))

        rss_a = [k for _, k in self.rss["A"] if k]
        rss_b = [k for _, k in self.rss["B"] if k]
        a_start, a_end = self.rss_start.get("A"), self.rss_end.get("A")
        b_start, b_end = self.rss_start.get("B"), self.rss_end.get("B")
        if a_start and a_end and a_end > a_start * 1.5 + 32 * 1024:
            warnings.append(f"server A memory grew {mib(a_start)} -> {mib(a_end)} MiB")
        tracebacks = {}
        for server in (self.a, self.b):
            for path in server.logs:
                text = path.read_text(errors="replace")
                tracebacks[path.name] = text.count("Traceback")
        if any(tracebacks.values()):
            warnings.append(f"tracebacks in server logs: {tracebacks}")

        figures: dict[str, Any] = {
            "duration_s": self.cfg.duration, "subscribers": len(self.subscribers), "users": len(self.users),
            "boards": len(self.boards), "changes": changes, "outbox_rows": len(rows),
            "activity_items": len(items), "bus_events": bus_total, "bus_distinct": bus_distinct,
            "bus_missing": bus_missing, "bus_dup": bus_dup, "outbox_redelivered": redelivered,
            "mails_expected": sum(expected_mail.values()), "mails_sent": mails_sent,
            "mails_missing": mails_missing, "mails_dup": mails_dup, "deliveries_in_doubt": len(in_doubt),
            "sms_expected": sum(expected_sms.values()), "sms_sent": sum(sms.values()),
            "sms_missing": sms_missing, "sms_dup": sms_dup,
            "deliveries_expected": sub_expected, "deliveries_received": sub_received,
            "deliveries_missing": sub_missing, "deliveries_dup": sub_dup, "in_stream_gaps": sub_gaps,
            "ws_sessions": sessions, "ws_connect_failures": connect_failures,
            "rss_a_start_mib": mib(a_start), "rss_a_end_mib": mib(a_end),
            "rss_a_max_mib": mib(max(rss_a) if rss_a else None),
            "rss_b_start_mib": mib(b_start), "rss_b_end_mib": mib(b_end),
            "rss_b_max_mib": mib(max(rss_b) if rss_b else None),
            "mutations_ok": sum(v for k, v in self.stats.ok.items() if k != "board page" and k != "refreshToken"),
            "mutations_failed": sum(v for k, v in self.stats.errors.items() if not k.startswith("board page")),
            "reads_ok": self.stats.ok["board page"],
            "reads_failed": sum(v for k, v in self.stats.errors.items() if k.startswith("board page")),
        }
        figures["ok"] = int(not problems)
        result_line = "RESULT soak " + " ".join(f"{k}={v}" for k, v in figures.items())

        lines = ["", "Soak: two servers, one database, one Redis, faults on AWS, Redis and server B", ""]
        lines.append("  timeline")
        lines += [f"    {t:7.1f}s  {what}" for t, what in self.timeline]
        lines += ["", f"  {'what':<44} {'expected':>10} {'got':>10} {'missing':>8} {'dup':>6}"]

        def row(what: str, exp: Any, got: Any, miss: Any = "", dup: Any = "") -> None:
            lines.append(f"  {what:<44} {exp!s:>10} {got!s:>10} {miss!s:>8} {dup!s:>6}")

        row("changes committed (sum boards.event_seq)", changes, changes)
        row("outbox rows (board_events)", changes, len(rows), max(0, changes - len(rows)))
        row("activity items (DynamoDB BOARD#)", changes, len(items), items_missing, items_extra)
        row("events on the bus (distinct eventIds)", changes, bus_distinct, bus_missing, bus_dup)
        row("mails (eventId, recipient)", sum(expected_mail.values()), mails_sent, mails_missing, mails_dup)
        row("SMS (per number)", sum(expected_sms.values()), sum(sms.values()), sms_missing, sms_dup)
        row(f"subscriber deliveries ({len(self.subscribers)} subscribers)", sub_expected, sub_received,
            sub_missing, sub_dup)
        lines += ["", f"  bus events total {bus_total} (redelivered by a relay: {bus_dup}); outbox rows that "
                      f"needed more than one attempt: {redelivered}",
                  f"  account mail events on the bus (sign-up verification, ...; outbox account_messages): "
                  f"{len(self.account_tap)} distinct",
                  f"  websocket sessions {sessions} (reconnects {sessions - len(self.subscribers)}), "
                  f"failed connects {connect_failures}, in-stream gaps {sub_gaps}",
                  f"  subscription closes {dict(closes.most_common(8))}",
                  f"  subscription errors {dict(errors.most_common(8))}",
                  f"  server RSS MiB: A {mib(a_start)} -> {mib(a_end)} (max {figures['rss_a_max_mib']}), "
                  f"B {mib(b_start)} -> {mib(b_end)} (max {figures['rss_b_max_mib']}; "
                  f"first process before SIGKILL {mib(getattr(self, 'b_end_rss_first', None))})",
                  f"  RSS A samples (MiB): {' '.join(mib(k) for _, k in self.rss['A'][::max(1, len(rss_a) // 12)])}",
                  f"  operations ok: {dict(self.stats.ok)}",
                  f"  operations failed: {dict(self.stats.errors.most_common(12))}"]
        for w in warnings:
            lines.append(f"  WARN {w}")
        for p in problems:
            lines.append(f"  FAIL {p}")
        lines.append(f"  verdict: {'nothing lost, nothing duplicated' if not problems else 'LOSS OR DUPLICATION'}")
        return SoakResult(figures, problems, warnings, result_line, "\n".join(lines))

    # --- the run -------------------------------------------------------------

    async def run(self) -> SoakResult:
        cfg = self.cfg
        own_dir = cfg.workdir is None
        workdir = Path(tempfile.mkdtemp(prefix="taskboard-soak-")) if cfg.workdir is None else cfg.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.paused = asyncio.Event()
        self.paused.set()
        self.rss_start: dict[str, int | None] = {}
        self.rss_end: dict[str, int | None] = {}
        background: list[asyncio.Task[None]] = []
        load: list[asyncio.Task[None]] = []
        subs: list[asyncio.Task[None]] = []
        try:
            await self.start_infrastructure(workdir)
            await self.seed()
            background.append(asyncio.create_task(self.tap_reader()))
            for i in range(cfg.subscribers):
                board = self.boards[i % len(self.boards)]
                user = board.members[(i // len(self.boards)) % len(board.members)]
                server = self.a if i % 2 == 0 else self.b
                self.subscribers.append(Subscriber(i, board, user, server))
            for sub in self.subscribers:
                subs.append(asyncio.create_task(self.subscriber(sub)))
                await asyncio.sleep(0.01)

            async def all_connected() -> bool:
                return all(s.connected for s in self.subscribers)

            await self.wait_for(f"{cfg.subscribers} subscribers connected", all_connected, 60, 0.2)
            self.rss_start = {"A": rss_kib(self.a.pid), "B": rss_kib(self.b.pid)}
            background.append(asyncio.create_task(self.sample_rss()))
            self.mark(f"load for {cfg.duration:.0f}s: {cfg.writers} writers, {cfg.readers} readers, "
                      f"{cfg.subscribers} subscribers; RSS A {mib(self.rss_start['A'])} MiB, "
                      f"B {mib(self.rss_start['B'])} MiB")
            self.loading = True
            start = time.monotonic()
            load = [asyncio.create_task(self.writer()) for _ in range(cfg.writers)]
            load += [asyncio.create_task(self.reader()) for _ in range(cfg.readers)]
            fault_task = asyncio.create_task(self.faults(start))
            await self.at(1.0, start)
            await fault_task  # normally long done
            self.loading = False
            await asyncio.gather(*load, return_exceptions=True)
            self.mark(f"load stopped: {sum(self.stats.ok.values())} operations ok, "
                      f"{sum(self.stats.errors.values())} failed")

            seqs, _ = await self.read_database()
            total = sum(seqs.values())

            async def backlog_zero() -> bool:
                return await self.metric(self.a, "taskboard_outbox_backlog") == 0

            async def bus_complete() -> bool:
                return len(self.tap) >= total

            last_count = [-1, time.monotonic()]

            async def mail_settled() -> bool:
                from notify.emulator import sent_mails

                count = len(sent_mails("us-east-1"))
                if count != last_count[0]:
                    last_count[:] = [count, time.monotonic()]
                return await self.notify_queue_empty() and time.monotonic() - last_count[1] > 3

            async def caught_up() -> bool:
                return all(s.last >= seqs[s.board.id] for s in self.subscribers)

            await self.wait_for("outbox backlog 0 on A", backlog_zero, cfg.drain_timeout)
            await self.wait_for("every event on the bus tap", bus_complete, 30)
            await self.wait_for("notify queue empty, sent mail stable", mail_settled, cfg.drain_timeout)
            await self.wait_for("subscribers caught up", caught_up, cfg.catch_up_timeout)
            await asyncio.sleep(2)  # anything duplicated late would arrive now
            self.stopping.set()
            self.rss_end = {"A": rss_kib(self.a.pid), "B": rss_kib(self.b.pid)}
            for t in subs:
                t.cancel()
            await asyncio.gather(*subs, return_exceptions=True)
            subs = []
            return await self.verify()
        finally:
            self.loading = False
            self.stopping.set()
            for t in [*subs, *load, *background]:
                t.cancel()
            await asyncio.gather(*subs, *load, *background, return_exceptions=True)
            for client in self.clients.values():
                await client.aclose()
            for server in (getattr(self, "b", None), getattr(self, "a", None)):
                if server is not None:
                    await asyncio.to_thread(server.stop)
            if getattr(self, "redis", None) is not None:
                self.redis.kill()
            if getattr(self, "proxy", None) is not None:
                await self.proxy.off()
            if getattr(self, "aws", None) is not None:
                self.aws.stop()
            if own_dir:
                shutil.rmtree(workdir, ignore_errors=True)


async def run_soak(cfg: SoakConfig) -> SoakResult:
    if cfg.seed is not None:
        rng.seed(cfg.seed)
    return await Soak(cfg).run()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=240)
    ap.add_argument("--subscribers", type=int, default=200)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--boards", type=int, default=4)
    ap.add_argument("--writers", type=int, default=6)
    ap.add_argument("--write-pause", type=float, default=0.6)
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--database-url", default="mysql+asyncmy://root@127.0.0.1:3306/taskboard_soak")
    ap.add_argument("--workdir", type=Path, default=None, help="keep server logs here")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    cfg = SoakConfig(duration=args.duration, subscribers=args.subscribers, users=args.users, boards=args.boards,
                     writers=args.writers, write_pause=args.write_pause, readers=args.readers,
                     database_url=args.database_url, workdir=args.workdir, seed=args.seed)
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    result = asyncio.run(run_soak(cfg))
    print(result.table, flush=True)
    print(result.result_line, flush=True)
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
