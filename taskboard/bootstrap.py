"""The one place that builds real adapters: database engine, Redis, the embedded
AWS emulator, the relay, the mail worker.  Tests build the same runtime with
other settings through the same function."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.passwords import Passwords
from auth.ratelimit import FailureLimiter, MemoryLimiter, RedisLimiter
from auth.tokens import TokenService
from models.db import WriteGate, is_sqlite, make_engine, make_read_engine, make_session_factory
from models.migrate import upgrade_async
from models.tables import BoardEventRow
from notify.activity_port import ActivityLog
from resolvers.context import Services
from resolvers.live import LiveEvent, LocalHub, RedisHub, board_seqs
from resolvers.viewer_events import user_copies
from taskboard import observability
from taskboard.metrics import emit_metrics
from taskboard.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from notify.account_relay import AccountRelay
    from notify.emulator import LocalAWS
    from notify.relay import Relay
    from notify.suppression import SuppressionReader
    from notify.worker import MailWorker

log = logging.getLogger("taskboard")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    services: Services
    redis: Redis | None = None
    read_engine: AsyncEngine | None = None
    local_aws: LocalAWS | None = None
    relay: Relay | None = None
    worker: MailWorker | None = None
    aws_session: Any = None  # an aioboto3.Session (untyped)
    endpoint_url: str | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    async def ready(self) -> dict[str, str]:
        """What /readyz reports: the database `ok` or why not.  Redis is left out on
        purpose: without it live streams poll the table, so a Redis outage must not
        drain every task from the load balancer; /metrics and an alarm report it."""
        status: dict[str, str] = {}
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
            status["database"] = "ok"
        except Exception as exc:  # any failure means not ready; say which
            status["database"] = type(exc).__name__
        return status


@dataclass
class _AwsSide:
    """What AWS adds, built before the services that use it.  With TASKBOARD_AWS=off
    only the activity log, read from the outbox table."""

    activity: ActivityLog
    session: Any  # aioboto3.Session
    endpoint_url: str | None
    local: LocalAWS | None
    queue_url: str | None
    suppressions: SuppressionReader | None
    relay: Relay | None
    account_relay: AccountRelay | None
    worker: MailWorker | None

    @classmethod
    def off(cls, activity: ActivityLog) -> _AwsSide:
        return cls(activity, session=None, endpoint_url=None, local=None, queue_url=None, suppressions=None,
                   relay=None, account_relay=None, worker=None)


async def build(settings: Settings, *, migrate: bool | None = None, start_background: bool = True) -> Runtime:
    engine, read_engine = await _databases(settings, migrate)
    session_factory = make_session_factory(engine)
    redis, limiter = _redis_and_limiter(settings)
    buffer = settings.live_subscriber_buffer
    hub = (LocalHub(buffer) if redis is None
           else RedisHub(redis, buffer=buffer, degraded_poll=settings.live_degraded_poll))
    gate = WriteGate(sqlite=is_sqlite(settings.database_url))
    if settings.aws_mode == "off":
        aws = _AwsSide.off(_sql_activity(session_factory))
    else:
        aws = await _aws_side(settings, engine, read_engine, session_factory, gate, start_background=start_background)
    listeners: list[Callable[[Sequence[BoardEventRow]], Any]] = [
        lambda rows: hub.publish([LiveEvent.of(r) for r in rows]),
        lambda rows: hub.publish(user_copies(rows)),  # resolvers.viewer_events
    ]
    if aws.relay is not None:
        listeners.append(aws.relay.committed)
    services = Services(
        engine=engine,
        read_engine=read_engine,
        gate=gate,
        tokens=TokenService(settings.secret, previous=settings.previous_secret, access_ttl=settings.access_token_ttl,
                            refresh_ttl=settings.refresh_token_ttl),
        passwords=Passwords(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost),
        limiter=limiter,
        activity=aws.activity,
        max_page_size=settings.max_page_size,
        hub=hub,
        commit_listeners=listeners,
        outbox_lease=aws.relay.outbox_lease if aws.relay is not None else None,
        public_url=settings.public_url,
        account_mail_nudge=aws.account_relay.nudge if aws.account_relay is not None else None,
        mail_suppressions=aws.suppressions,
        mail_quota=settings.mail_quota,
        sms_quota=settings.sms_quota,
    )
    rt = Runtime(settings=settings, engine=engine, services=services, redis=redis, read_engine=read_engine,
                 local_aws=aws.local, relay=aws.relay, worker=aws.worker, aws_session=aws.session,
                 endpoint_url=aws.endpoint_url)
    if start_background:
        await _start_background(rt, hub, aws, session_factory)
    return rt


async def _databases(settings: Settings, migrate: bool | None) -> tuple[AsyncEngine, AsyncEngine | None]:
    """The write engine (the schema migrated first outside production) and, on
    MySQL, the autocommit read engine; both traced."""
    tls = settings.database_tls_config
    engine = make_engine(settings.database_url, tls=tls)
    if migrate if migrate is not None else settings.env != "production":
        await upgrade_async(settings.database_url, tls=tls)
    read_engine = make_read_engine(settings.database_url, tls=tls)
    for traced in (engine, read_engine):
        if traced is not None:
            observability.instrument_engine(traced)
    return engine, read_engine


def _redis_and_limiter(settings: Settings) -> tuple[Redis | None, FailureLimiter]:
    """The Redis client (None without TASKBOARD_REDIS_URL) and the login failure
    limiter on it, or in memory without it."""
    limits = {"email": settings.login_failures_per_email, "ip": settings.login_failures_per_ip}
    if not settings.redis_url:
        return None, MemoryLimiter(limits=limits, window=settings.login_failure_window)
    import redis.asyncio as aioredis

    # A full pool waits for a connection instead of failing the request: the
    # default one raises past 100 at once, and a burst of logins is that.
    redis = aioredis.Redis.from_pool(aioredis.BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=100, timeout=5, socket_connect_timeout=3, socket_timeout=5))
    return redis, RedisLimiter(redis, limits=limits, window=settings.login_failure_window)


def _sql_activity(session_factory: Any) -> ActivityLog:
    from notify.activity_sql import SqlActivityLog

    return SqlActivityLog(session_factory)


async def _aws_side(settings: Settings, engine: AsyncEngine, read_engine: AsyncEngine | None, session_factory: Any,
                    gate: WriteGate, *, start_background: bool) -> _AwsSide:
    """The session (and in `local` mode the emulator), the provisioned resources,
    the activity log and suppressions read from DynamoDB, and the relays."""
    import aioboto3
    from botocore.config import Config

    from notify.activity import DynamoActivityLog, FallbackActivityLog
    from notify.suppression import SuppressionReader

    local, endpoint_url = _endpoint(settings)
    session = aioboto3.Session(region_name=settings.aws_region)
    queue_url = await _provision(settings, session, endpoint_url)
    # Fail fast: a read that cannot reach DynamoDB falls back to the outbox table.
    fast = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
    activity = FallbackActivityLog(
        DynamoActivityLog(session, table_name=settings.activity_table, endpoint_url=endpoint_url,
                          region=settings.aws_region, client_config=fast),
        _sql_activity(make_session_factory(read_engine) if read_engine is not None else session_factory),
    )
    suppressions = SuppressionReader(session, table=settings.activity_table, endpoint_url=endpoint_url,
                                     region=settings.aws_region, client_config=fast)
    return _AwsSide(
        activity=activity, session=session, endpoint_url=endpoint_url, local=local, queue_url=queue_url,
        suppressions=suppressions,
        relay=_relay(settings, session_factory, gate, session, endpoint_url, start_background),
        account_relay=_account_relay(settings, engine, gate, session, endpoint_url) if start_background else None,
        worker=_worker(settings, endpoint_url, queue_url) if start_background and settings.worker_enabled else None,
    )


def _endpoint(settings: Settings) -> tuple[LocalAWS | None, str | None]:
    """The embedded emulator in `local` mode, and the endpoint the clients use."""
    if settings.aws_mode != "local":
        return None, os.environ.get("AWS_ENDPOINT_URL") or None
    from notify.emulator import LocalAWS

    # Dummy credentials: the emulator accepts any, and nothing real is touched.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "testing")
    local = LocalAWS()
    return local, local.endpoint_url


async def _provision(settings: Settings, session: Any, endpoint_url: str | None) -> str | None:
    """Where the settings ask for it, the table, bus and queue; the queue's URL."""
    if not settings.provision_enabled:
        return None
    from notify.provision import provision

    out = await provision(session, endpoint_url=endpoint_url, region=settings.aws_region,
                          table=settings.activity_table, bus=settings.event_bus, queue=settings.notify_queue,
                          mail_from=settings.mail_from)
    queue_url: str | None = out["queue_url"]
    return queue_url


def _relay(settings: Settings, session_factory: Any, gate: WriteGate, session: Any, endpoint_url: str | None,
           start_background: bool) -> Relay:
    """Inline, this process delivers what it commits: rows are written leased to
    its relay and handed over after the commit, with no claim transaction.  As a
    child process (taskboard.relay_process), AWS calls never take this event loop;
    the in-process relay object only answers the backlog for /metrics.  Without
    background tasks, a relay that nobody runs, nudged after commits."""
    from taskboard.relay_process import RelayProcess, outbox_relay

    inline = settings.relay_in_process(is_sqlite(settings.database_url))
    relay = outbox_relay(settings, session_factory, sqlite=is_sqlite(settings.database_url), aws_session=session,
                         endpoint_url=endpoint_url, gate=gate, takes_commits=start_background and inline)
    if start_background and not inline:
        return RelayProcess(settings, endpoint_url, relay.backlog)
    return relay


async def _start_background(rt: Runtime, hub: LocalHub | RedisHub, aws: _AwsSide, session_factory: Any) -> None:
    """The live hub's listener, the session revocation poll, the seq checks; with
    AWS the relays, the metric lines, the mail worker and the reminders."""
    settings, services, tasks = rt.settings, rt.services, rt.tasks
    if isinstance(hub, RedisHub):
        await hub.start()
    tasks.append(asyncio.create_task(services.sessions.watch(services.reader, settings.session_revocation_poll,
                                                             services.tokens),
                                     name="session-revocations"))
    if settings.live_seq_check_interval > 0:
        hub.watch_seqs(partial(board_seqs, services), settings.live_seq_check_interval)
    if aws.relay is None:  # TASKBOARD_AWS=off
        return
    inline = settings.relay_in_process(is_sqlite(settings.database_url))
    tasks.append(asyncio.create_task(aws.relay.run(), name="outbox-relay" if inline else "outbox-relay-process"))
    if aws.account_relay is not None:
        tasks.append(asyncio.create_task(aws.account_relay.run(), name="account-relay"))
    if settings.aws_mode == "aws" and settings.metrics_interval > 0:
        tasks.append(asyncio.create_task(emit_metrics(rt, settings.metrics_interval), name="metrics"))
    if aws.worker is not None:
        tasks.append(asyncio.create_task(aws.worker.run(), name="mail-worker"))
        tasks.append(asyncio.create_task(_remind_every(settings, rt, session_factory), name="deadline-reminders"))


async def _remind_every(settings: Settings, rt: Runtime, session_factory: Any) -> None:
    """Where this process runs the mail worker, it runs the reminders too (the
    scheduler's part in AWS): a pass at start, then every `reminder_interval`.
    A pass is idempotent per task and day, so restarts send nothing twice."""
    import boto3

    from notify.mailer import SEND_CONFIG
    from notify.reminders import send_reminders

    boto = boto3.session.Session(region_name=settings.aws_region)
    ses = boto.client("ses", endpoint_url=rt.endpoint_url, config=SEND_CONFIG)
    dynamodb = boto.client("dynamodb", endpoint_url=rt.endpoint_url)
    while True:
        try:
            await send_reminders(session_factory, ses=ses, dynamodb=dynamodb, table=settings.activity_table,
                                 mail_from=settings.mail_from, now=datetime.now(UTC), public_url=settings.public_url)
        except Exception:  # the next pass retries; the server stays up
            log.exception("deadline reminders failed")
        await asyncio.sleep(settings.reminder_interval)


def _worker(settings: Settings, endpoint_url: str | None, queue_url: str | None) -> MailWorker:
    from notify.worker import MailWorker

    return MailWorker.from_settings(
        queue_name=settings.notify_queue, queue_url=queue_url, table=settings.activity_table,
        mail_from=settings.mail_from, endpoint_url=endpoint_url, region=settings.aws_region,
    )


def _account_relay(settings: Settings, engine: AsyncEngine, gate: WriteGate, session: Any,
                   endpoint_url: str | None) -> AccountRelay:
    """A user's own mail (verification, reset, invitation) and phone codes: their
    outbox is small, so this process delivers it (notify.account_relay)."""
    from notify.account_relay import AccountRelay

    return AccountRelay(engine, gate, session, bus=settings.event_bus, endpoint_url=endpoint_url,
                        region=settings.aws_region, mysql=not is_sqlite(settings.database_url),
                        sweep_interval=settings.relay_sweep_interval, lease_seconds=settings.relay_lease_seconds)


async def close(rt: Runtime) -> None:
    for component in (rt.worker, rt.relay, rt.services.hub):
        if component is not None and hasattr(component, "stop"):
            with contextlib.suppress(Exception):
                await component.stop()
    for task in rt.tasks:
        task.cancel()
    for task in rt.tasks:
        with contextlib.suppress(BaseException):
            await task
    if rt.relay is not None:
        with contextlib.suppress(Exception):
            await rt.relay.aclose()
    if rt.redis is not None:
        with contextlib.suppress(Exception):
            await rt.redis.aclose()
    await rt.engine.dispose()
    if rt.read_engine is not None:
        await rt.read_engine.dispose()
    if rt.local_aws is not None:
        rt.local_aws.stop()


class ConfigError(Exception):
    """The configuration cannot run this command; the message says what to change."""


def _external_aws(settings: Settings, command: str) -> str | None:
    if settings.aws_mode != "aws":
        raise ConfigError(
            f"`taskboard {command}` talks to AWS (or an AWS-compatible endpoint): set TASKBOARD_AWS=aws and, "
            "for an emulator, AWS_ENDPOINT_URL. In development `taskboard serve` runs the mail worker and the "
            "deadline reminders itself.")
    return os.environ.get("AWS_ENDPOINT_URL") or None


async def run_worker(settings: Settings) -> None:
    """`taskboard worker`: the Lambda's handler over the SQS queue, until SIGTERM/SIGINT."""
    import signal

    from notify.worker import MailWorker

    endpoint = _external_aws(settings, "worker")
    worker = MailWorker.from_settings(queue_name=settings.notify_queue, queue_url=None, table=settings.activity_table,
                                      mail_from=settings.mail_from, endpoint_url=endpoint, region=settings.aws_region)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: asyncio.ensure_future(worker.stop()))
    log.info("mail worker polling %s", settings.notify_queue)
    await worker.run()


async def run_reminders(settings: Settings, now: Any) -> int:
    """`taskboard remind`: one pass of deadline reminders (EventBridge Scheduler runs it in AWS)."""
    import boto3

    from notify.mailer import SEND_CONFIG
    from notify.reminders import send_reminders

    endpoint = _external_aws(settings, "remind")
    engine = make_engine(settings.database_url, tls=settings.database_tls_config)
    try:
        boto = boto3.session.Session(region_name=settings.aws_region)
        ses = boto.client("ses", endpoint_url=endpoint, config=SEND_CONFIG)
        dynamodb = boto.client("dynamodb", endpoint_url=endpoint)
        return await send_reminders(make_session_factory(engine), ses=ses, dynamodb=dynamodb,
                                    table=settings.activity_table, mail_from=settings.mail_from, now=now,
                                    public_url=settings.public_url)
    finally:
        await engine.dispose()
