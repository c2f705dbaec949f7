"""The one place that builds real adapters: database engine, Redis, the embedded
AWS emulator, the relay, the mail worker.  Tests build the same runtime with
other settings through the same function."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.passwords import Passwords
from auth.ratelimit import FailureLimiter, MemoryLimiter, RedisLimiter
from auth.tokens import TokenService
from models.db import WriteGate, is_sqlite, make_engine, make_read_engine, make_session_factory
from models.migrate import upgrade_async
from resolvers.context import Services
from resolvers.live import LiveEvent, LocalHub, RedisHub, board_seqs
from resolvers.viewer_events import user_copies
from taskboard import observability
from taskboard.metrics import emit_metrics
from taskboard.settings import Settings

log = logging.getLogger("taskboard")


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    services: Services
    redis: Any = None
    read_engine: AsyncEngine | None = None
    local_aws: Any = None
    relay: Any = None
    worker: Any = None
    aws_session: Any = None
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


async def build(settings: Settings, *, migrate: bool | None = None, start_background: bool = True) -> Runtime:
    tls = settings.database_tls_config
    engine = make_engine(settings.database_url, tls=tls)
    sqlite = is_sqlite(settings.database_url)
    if migrate if migrate is not None else settings.env != "production":
        await upgrade_async(settings.database_url, tls=tls)
    session_factory = make_session_factory(engine)
    read_engine = make_read_engine(settings.database_url, tls=tls)
    for traced in (engine, read_engine):
        if traced is not None:
            observability.instrument_engine(traced)

    redis = None
    limiter: FailureLimiter
    limits = {"email": settings.login_failures_per_email, "ip": settings.login_failures_per_ip}
    if settings.redis_url:
        import redis.asyncio as aioredis

        # A full pool waits for a connection instead of failing the request: the
        # default one raises past 100 at once, and a burst of logins is that.
        redis = aioredis.Redis.from_pool(aioredis.BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=100, timeout=5, socket_connect_timeout=3, socket_timeout=5))
        limiter = RedisLimiter(redis, limits=limits, window=settings.login_failure_window)
    else:
        limiter = MemoryLimiter(limits=limits, window=settings.login_failure_window)

    buffer = settings.live_subscriber_buffer
    hub: Any = (LocalHub(buffer) if redis is None
                else RedisHub(redis, buffer=buffer, degraded_poll=settings.live_degraded_poll))
    services = Services(
        engine=engine,
        read_engine=read_engine,
        gate=WriteGate(sqlite=sqlite),
        tokens=TokenService(settings.secret, previous=settings.previous_secret, access_ttl=settings.access_token_ttl,
                            refresh_ttl=settings.refresh_token_ttl),
        passwords=Passwords(memory_kib=settings.argon2_memory_kib, time_cost=settings.argon2_time_cost),
        limiter=limiter,
        activity=_NoActivity(),  # replaced below once the AWS side is known
        max_page_size=settings.max_page_size,
        hub=hub,
        public_url=settings.public_url,
        mail_quota=settings.mail_quota,
        sms_quota=settings.sms_quota,
    )
    services.commit_listeners.append(lambda rows: hub.publish([LiveEvent.of(r) for r in rows]))
    services.commit_listeners.append(lambda rows: hub.publish(user_copies(rows)))  # resolvers.viewer_events
    rt = Runtime(settings=settings, engine=engine, services=services, redis=redis, read_engine=read_engine)
    if isinstance(hub, RedisHub) and start_background:
        await hub.start()
    if start_background:
        rt.tasks.append(asyncio.create_task(services.sessions.watch(services.reader, settings.session_revocation_poll,
                                                                     services.tokens),
                                            name="session-revocations"))
    if start_background and settings.live_seq_check_interval > 0:
        hub.watch_seqs(partial(board_seqs, services), settings.live_seq_check_interval)

    if settings.aws_mode == "off":
        from notify.activity_sql import SqlActivityLog

        services.activity = SqlActivityLog(session_factory)
        return rt

    import aioboto3

    if settings.aws_mode == "local":
        from notify.emulator import LocalAWS

        # Dummy credentials: the emulator accepts any, and nothing real is touched.
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        rt.local_aws = LocalAWS()
        rt.endpoint_url = rt.local_aws.endpoint_url
    else:
        rt.endpoint_url = os.environ.get("AWS_ENDPOINT_URL") or None
    rt.aws_session = aioboto3.Session(region_name=settings.aws_region)
    queue_url = None
    if settings.provision_enabled:
        from notify.provision import provision

        out = await provision(rt.aws_session, endpoint_url=rt.endpoint_url, region=settings.aws_region,
                              table=settings.activity_table, bus=settings.event_bus, queue=settings.notify_queue,
                              mail_from=settings.mail_from)
        queue_url = out["queue_url"]

    from botocore.config import Config

    from notify.activity import DynamoActivityLog, FallbackActivityLog
    from notify.activity_sql import SqlActivityLog
    from taskboard.relay_process import RelayProcess, outbox_relay

    # Fail fast: a read that cannot reach DynamoDB falls back to the outbox table.
    fast = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "total_max_attempts": 2})
    services.activity = FallbackActivityLog(
        DynamoActivityLog(rt.aws_session, table_name=settings.activity_table, endpoint_url=rt.endpoint_url,
                          region=settings.aws_region, client_config=fast),
        SqlActivityLog(make_session_factory(read_engine) if read_engine is not None else session_factory),
    )
    from notify.suppression import SuppressionReader

    services.mail_suppressions = SuppressionReader(rt.aws_session, table=settings.activity_table,
                                                   endpoint_url=rt.endpoint_url, region=settings.aws_region,
                                                   client_config=fast)
    rt.relay = outbox_relay(settings, session_factory, sqlite=sqlite, aws_session=rt.aws_session,
                            endpoint_url=rt.endpoint_url, gate=services.gate)
    if start_background and settings.relay_in_process(sqlite):
        # This process delivers what it commits: rows are written leased to this
        # relay and handed over after the commit, with no claim transaction.
        services.outbox_lease = settings.relay_lease_seconds
        services.commit_listeners.append(rt.relay.handoff)
        rt.tasks.append(asyncio.create_task(rt.relay.run(), name="outbox-relay"))
    elif start_background:
        # A child process delivers (taskboard.relay_process): AWS calls never take
        # this event loop.  The in-process relay object only answers /metrics.
        rt.relay = RelayProcess(settings, rt.endpoint_url, rt.relay.backlog)
        services.commit_listeners.append(rt.relay.nudge)
        rt.tasks.append(asyncio.create_task(rt.relay.run(), name="outbox-relay-process"))
    else:
        services.commit_listeners.append(rt.relay.nudge)
    if start_background:
        rt.tasks.append(asyncio.create_task(_account_relay(settings, rt, sqlite).run(), name="account-relay"))
    if start_background and settings.aws_mode == "aws" and settings.metrics_interval > 0:
        rt.tasks.append(asyncio.create_task(emit_metrics(rt, settings.metrics_interval), name="metrics"))
    if settings.worker_enabled and start_background:
        rt.worker = await _worker(settings, rt, queue_url)
        rt.tasks.append(asyncio.create_task(rt.worker.run(), name="mail-worker"))
        rt.tasks.append(asyncio.create_task(_remind_every(settings, rt, session_factory), name="deadline-reminders"))
    return rt


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


async def _worker(settings: Settings, rt: Runtime, queue_url: str | None) -> Any:
    from notify.worker import MailWorker

    return MailWorker.from_settings(
        queue_name=settings.notify_queue, queue_url=queue_url, table=settings.activity_table,
        mail_from=settings.mail_from, endpoint_url=rt.endpoint_url, region=settings.aws_region,
    )


def _account_relay(settings: Settings, rt: Runtime, sqlite: bool) -> Any:
    """A user's own mail (verification, reset, invitation) and phone codes: their
    outbox is small, so this process delivers it (notify.account_relay)."""
    from notify.account_relay import AccountRelay

    relay = AccountRelay(rt.engine, rt.services.gate, rt.aws_session, bus=settings.event_bus,
                         endpoint_url=rt.endpoint_url, region=settings.aws_region, mysql=not sqlite,
                         sweep_interval=settings.relay_sweep_interval, lease_seconds=settings.relay_lease_seconds)
    rt.services.account_mail_nudge = relay.nudge
    return relay


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
    if rt.relay is not None and hasattr(rt.relay, "aclose"):
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


class _NoActivity:
    async def board_activity(self, board_id: str, first: int, after: str | None) -> Any:
        raise RuntimeError("the activity log is not wired yet")

    async def task_activity(self, task_id: str, first: int, after: str | None) -> Any:
        raise RuntimeError("the activity log is not wired yet")


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
