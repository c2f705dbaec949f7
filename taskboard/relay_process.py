"""The outbox relay in a process of its own, beside the server.

botocore builds, signs and parses every AWS request in Python.  In the server's
process that work takes turns with requests on the one event loop: measured with
`bench/mutations.py` on MariaDB, the relay in-process raised the mutation p99 by
about half (bench/README.md).  In a child process it runs on the other core, at
a lower CPU priority (it is background work), and never holds the server's loop.

The server wakes the child after each commit by writing one byte to a pipe (a
full pipe already says "wake up", so the write never blocks).  The child claims
the committed rows itself (`FOR UPDATE SKIP LOCKED` and leases, as any relay
does) and also sweeps on the interval.  It stops when the pipe closes, so it
never outlives its server, even one killed with SIGKILL; the server restarts a
child that died.  Its counters reach /metrics through shared memory.

Used when the database is MySQL (`TASKBOARD_RELAY_MODE=auto`, the default).  On
SQLite, whose writers queue on one in-process gate, the relay stays in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from taskboard import logs, observability
from taskboard.settings import Settings

if TYPE_CHECKING:
    from models.db import WriteGate
    from models.tables import BoardEventRow
    from notify.relay import OutboxRelay

log = logging.getLogger("taskboard.relay")

_NUDGE = b"\0"


def outbox_relay(settings: Settings, session_factory: Any, *, sqlite: bool, aws_session: Any,
                 endpoint_url: str | None, gate: WriteGate, takes_commits: bool = False) -> OutboxRelay:
    """The relay the settings describe, the same in the server and in the child;
    `takes_commits`: it delivers what this process commits (`OutboxRelay.committed`)."""
    from notify.relay import OutboxRelay

    return OutboxRelay(session_factory, not sqlite, aws_session, settings.activity_table, settings.event_bus,
                       endpoint_url, settings.aws_region, sweep_interval=settings.relay_sweep_interval, gate=gate,
                       lease_seconds=settings.relay_lease_seconds, linger=settings.relay_linger_seconds,
                       batch_size=settings.relay_batch_size, takes_commits=takes_commits)


class RelayProcess:
    """The parent's handle: nudge after commits, counters, supervision (a
    `notify.relay.Relay`)."""

    outbox_lease: float | None = None  # the child claims what the server commits

    def __init__(self, settings: Settings, endpoint_url: str | None,
                 backlog: Callable[[], Awaitable[tuple[int, float]]], *, restart_delay: float = 1.0) -> None:
        self._settings = settings
        self._endpoint_url = endpoint_url
        self._backlog = backlog
        self._restart_delay = restart_delay
        self._mp = multiprocessing.get_context("spawn")  # no fork of a running event loop
        # Lock-free shared integers: one writer (the child), and a torn read cannot
        # happen to an aligned 64-bit word.  (A locked Value leaks a semaphore per child.)
        self._delivered = self._mp.RawValue("q", 0)
        self._failures = self._mp.RawValue("q", 0)
        self._conflicts = self._mp.RawValue("q", 0)
        self._process: Any = None
        self._write_fd: int | None = None
        self._stopping = False
        self.restarts = 0

    # --- what the server uses ----------------------------------------------

    def nudge(self, *_events: Any) -> None:
        """A unit of work listener: wake the child now.  Never blocks."""
        fd = self._write_fd
        if fd is None:
            return
        with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
            os.write(fd, _NUDGE)

    def committed(self, rows: Sequence[BoardEventRow]) -> None:
        """The unit of work listener: `nudge`."""
        self.nudge()

    async def backlog(self) -> tuple[int, float]:
        return await self._backlog()

    @property
    def delivered_total(self) -> int:
        return int(self._delivered.value)

    @property
    def failures_total(self) -> int:
        return int(self._failures.value)

    @property
    def conflicts_total(self) -> int:
        return int(self._conflicts.value)

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    # --- lifecycle -----------------------------------------------------------

    def _start(self) -> None:
        reader, writer = self._mp.Pipe(duplex=False)
        process = self._mp.Process(
            target=child_main,
            args=(self._settings.model_dump(), self._endpoint_url, reader,
                  (self._delivered, self._failures, self._conflicts)),
            name="taskboard-relay",
            daemon=True,
        )
        process.start()
        reader.close()  # the child holds the only read end: our death is its EOF
        old, self._write_fd = self._write_fd, os.dup(writer.fileno())
        writer.close()
        os.set_blocking(self._write_fd, False)
        if old is not None:
            with contextlib.suppress(OSError):
                os.close(old)
        self._process = process
        log.info("outbox relay process %s started", process.pid)

    async def run(self) -> None:
        """Start the child and keep one running until `stop`."""
        self._start()
        while not self._stopping:
            await asyncio.sleep(0.5)
            if self._stopping or self._process.is_alive():
                continue
            log.error("outbox relay process %s exited with %s; restarting", self._process.pid,
                      self._process.exitcode)
            self.restarts += 1
            await asyncio.sleep(self._restart_delay)
            if not self._stopping:
                self._start()

    async def stop(self) -> None:
        self._stopping = True
        fd, self._write_fd = self._write_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)  # EOF: the child finishes its pass and exits
        process = self._process
        if process is not None:
            await asyncio.to_thread(process.join, 15)
            if process.is_alive():
                process.terminate()
                await asyncio.to_thread(process.join, 5)

    async def aclose(self) -> None:
        """Nothing to release here: the child closes its own clients."""


# --- the child -----------------------------------------------------------------


def child_main(settings: dict[str, Any], endpoint_url: str | None, reader: Any, counters: tuple[Any, ...]) -> None:
    with contextlib.suppress(OSError):
        os.nice(10)  # background work: the server's requests come first
    config = Settings.model_validate(settings)
    logs.configure(config.log_style)
    observability.setup(config.tracing)  # the deliveries' spans continue the mutations' traces
    try:
        asyncio.run(_child(config, endpoint_url, reader, counters))
    finally:
        observability.flush()


async def _child(settings: Settings, endpoint_url: str | None, reader: Any, counters: tuple[Any, ...]) -> None:
    import aioboto3

    from models.db import WriteGate, is_sqlite, make_engine, make_session_factory

    sqlite = is_sqlite(settings.database_url)
    engine = make_engine(settings.database_url, pool_size=2, tls=settings.database_tls_config)
    observability.instrument_engine(engine)
    relay = outbox_relay(settings, make_session_factory(engine), sqlite=sqlite,
                         aws_session=aioboto3.Session(region_name=settings.aws_region), endpoint_url=endpoint_url,
                         gate=WriteGate(sqlite=sqlite))
    loop = asyncio.get_running_loop()
    fd = reader.fileno()
    os.set_blocking(fd, False)
    stopping: list[asyncio.Task[None]] = []

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            relay.nudge()
        else:  # the server is gone (or stopping): finish and exit
            loop.remove_reader(fd)
            stopping.append(loop.create_task(relay.stop()))

    loop.add_reader(fd, readable)

    def publish() -> None:
        for shared, value in zip(counters, (relay.delivered_total, relay.failures_total, relay.conflicts_total),
                                 strict=True):
            shared.value = value

    async def publish_counters() -> None:
        while True:
            publish()
            await asyncio.sleep(0.2)

    publishing = asyncio.create_task(publish_counters())
    try:
        await relay.run()
    finally:
        publishing.cancel()
        publish()
        await relay.aclose()
        await engine.dispose()
