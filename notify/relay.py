"""The outbox relay: delivers committed `board_events` rows to the DynamoDB
activity table and the EventBridge bus, at least once, without duplicates in
the table.

One pass (`deliver_once`):
1. claim (`notify.claims`): in a short write transaction one batch of due rows
   (pending, and no lease or an expired one), `FOR UPDATE SKIP LOCKED` on
   MySQL; put a lease on them (`next_attempt_at = now + lease`) and count the
   attempt; commit.  Another relay (process) skips locked rows and sees the
   lease.
2. deliver outside any transaction, renewing the lease meanwhile: a
   conditional PutItem per row whose log is not yet written (the slot is free
   or holds this event id; another event id there is a conflict, a failure:
   a reused seq), then PutEvents in batches of at most 10 entries / 256 KB
   for rows whose bus delivery is not done; failed entries alone are retried.
3. mark, per destination: `log_delivered_at`, `bus_delivered_at`; `pending`
   false once both are done; on failure `last_error` and a backoff
   (`next_attempt_at`, exponential with jitter on the row's attempt count).

The rows this process commits skip step 1: the unit of work writes them
already leased to this process's relay (`attempts = 1`, `next_attempt_at =
now + lease`) and hands them over after the commit (`handoff`), so a change
costs no claim transaction, and no other relay takes them while the lease
holds.  Sweeps (on the interval, or when a backed-off row falls due) claim
everything else: rows of a process that died, rows whose delivery failed.

A relay killed between 1 and 3 (or after a commit, before its handoff) leaves leased rows that become due again when
the lease expires: they are delivered again (the table write is conditional,
the bus may see the event twice; the mailer is idempotent on the event id).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from botocore.config import Config
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.db import WriteGate
from models.tables import BoardEventRow
from notify import claims
from notify.claims import Claimed, LeaseRenewal
from notify.delivery_trace import delivery
from notify.outbox_sinks import (
    ActivitySink,
    AwsClients,
    BusSink,
    DynamoActivitySink,
    EventBridgeSink,
    activity_item,
    error_text,
    event_detail,
)
from notify.relay_wake import Waker

__all__ = ["OutboxRelay", "Relay", "activity_item", "event_detail"]


class Relay(Protocol):
    """What the server uses of its relay, inline (`OutboxRelay`) or in a child
    process (`taskboard.relay_process.RelayProcess`)."""

    @property
    def outbox_lease(self) -> float | None:
        """Seconds the units of work lease their outbox rows to this relay for, so
        that `committed` hands them over; None: the rows wait for a claim."""

    @property
    def delivered_total(self) -> int: ...

    @property
    def failures_total(self) -> int: ...

    @property
    def conflicts_total(self) -> int: ...

    def committed(self, rows: Sequence[BoardEventRow]) -> None:
        """The unit of work listener: rows were just committed."""

    async def run(self) -> None: ...

    async def stop(self) -> None: ...

    async def aclose(self) -> None: ...

    async def backlog(self) -> tuple[int, float]: ...


class OutboxRelay:
    """The scheduler: wakes on a handoff (after `linger`), a nudge, or the sweep
    interval, and runs a pass of claim (`notify.claims`), deliver (the sinks of
    `notify.outbox_sinks`), mark."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        is_mysql: bool,
        aws_session: Any,
        table_name: str,
        event_bus: str,
        endpoint_url: str | None,
        region: str,
        *,
        batch_size: int = 25,
        sweep_interval: float = 5.0,
        lease_seconds: float = 120.0,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        gate: WriteGate | None = None,
        logger: logging.Logger | None = None,
        client_config: Config | None = None,
        put_concurrency: int = 10,
        linger: float = 0.0,
        takes_commits: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self._is_mysql = is_mysql
        self.table_name = table_name
        self.event_bus = event_bus
        self.batch_size = batch_size
        self.sweep_interval = sweep_interval
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._gate = gate if gate is not None else WriteGate(sqlite=not is_mysql)
        self._log = logger or logging.getLogger("taskboard.notify.relay")
        self._clients = AwsClients(aws_session, endpoint_url, region, client_config)
        self._activity = DynamoActivitySink(self._clients, table_name, self._log, put_concurrency)
        self.activity: ActivitySink = self._activity
        self.bus: BusSink = EventBridgeSink(self._clients, event_bus)
        self._waker = Waker(linger)
        self._handed: list[Claimed] = []
        self._next_sweep = 0.0  # loop time; 0: at once
        self._stopping = False
        self._running: asyncio.Event | None = None
        # Since start, for /metrics: events fully delivered, failed delivery attempts.
        self.delivered_total = 0
        self.failures_total = 0
        # takes_commits: this process's units of work lease their rows to it, handed over.
        self.outbox_lease = lease_seconds if takes_commits else None
        self.committed: Callable[[Sequence[BoardEventRow]], None] = self.handoff if takes_commits else self.nudge

    @property
    def conflicts_total(self) -> int:
        """Activity writes refused because the board/seq holds another event."""
        return self._activity.conflicts_total

    # --- lifecycle ---------------------------------------------------------

    @property
    def linger(self) -> float:
        return self._waker.linger

    def nudge(self, *_events: Any) -> None:
        """Ask for a claim pass (after a commit of rows not handed over): after
        `linger`, so that the commits of that moment share one claim, one delivery
        and one mark.  Usable directly as a unit of work listener; safe from any
        thread."""
        self._waker.nudge()

    def handoff(self, rows: Sequence[BoardEventRow]) -> None:
        """A unit of work listener: rows just committed already leased to this relay
        (see `models.uow.UnitOfWork`'s `lease_seconds`); deliver them without a claim."""
        for row in rows:
            self._handed.append(Claimed(
                id=row.id, seq=row.seq, board_id=row.board_id, attempts=row.attempts or 1,
                payload=row.payload, detail_type=row.detail_type, log_done=False, bus_done=False,
            ))
        self._waker.handed(len(self._handed) >= self.batch_size)

    async def _deliver_handed(self) -> int:
        """Deliver what was handed over, a batch at a time; the number delivered."""
        delivered = 0
        while self._handed and not self._stopping:
            batch, self._handed = self._handed[: self.batch_size], self._handed[self.batch_size:]
            with delivery(batch, self._log):
                async with self._renewing(batch):
                    await self._deliver(batch)
                delivered += await self._mark(batch)
        return delivered

    async def run(self) -> None:
        """Deliver until stopped: what is handed over at once, and on each sweep
        everything due.  Never raises (other than cancellation)."""
        loop = self._waker.loop = asyncio.get_running_loop()
        self._running = asyncio.Event()
        wake = self._waker
        failures = 0
        try:
            while not self._stopping:
                wake.event.clear()
                try:
                    await self._deliver_handed()
                    if wake.claim_now or loop.time() >= self._next_sweep:
                        wake.claim_now = False  # a nudge during the pass sets it again
                        while not self._stopping:
                            claimed, _ = await self._pass()
                            if claimed < self.batch_size:
                                break
                        self._next_sweep = loop.time() + await self._next_wait()
                    failures = 0
                    timeout = 0.0 if wake.claim_now else max(0.0, self._next_sweep - loop.time())
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database, most likely: back off the loop itself
                    failures += 1
                    timeout = self._backoff(failures)
                    self._next_sweep = loop.time() + timeout
                    self._log.warning("outbox relay pass failed (retry in %.1fs): %s", timeout, error_text(exc))
                if self._stopping:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.event.wait(), timeout)
        finally:
            self._running.set()
            await self.aclose()

    async def stop(self) -> None:
        self._stopping = True
        self._waker.event.set()
        if self._running is not None:
            await self._running.wait()
        await self.aclose()

    async def aclose(self) -> None:
        await self._clients.aclose(self._log)

    # --- the work ----------------------------------------------------------

    async def deliver_once(self) -> int:
        """Claim one batch and deliver it; the number of rows now fully delivered.
        Errors are logged and recorded on the rows, never raised."""
        try:
            handed = await self._deliver_handed()
            _, delivered = await self._pass()
            return handed + delivered
        except Exception as exc:
            self._log.warning("outbox relay pass failed: %s", error_text(exc))
            return 0

    async def backlog(self) -> tuple[int, float]:
        """(pending rows, age in seconds of the oldest pending row)."""
        return await claims.backlog(self._session_factory)

    async def _pass(self) -> tuple[int, int]:
        claimed = await self._claim()
        if not claimed:
            return 0, 0
        with delivery(claimed, self._log):
            async with self._renewing(claimed):
                await self._deliver(claimed)
            delivered = await self._mark(claimed)
        return len(claimed), delivered

    async def _claim(self) -> list[Claimed]:
        return await claims.claim(self._session_factory, self._gate, mysql=self._is_mysql, batch_size=self.batch_size,
                           lease_seconds=self.lease_seconds)

    def _renewing(self, claimed: Sequence[Claimed]) -> LeaseRenewal:
        """The lease of `claimed` kept alive while they are delivered."""
        return LeaseRenewal(self._session_factory, self._gate, claimed, self.lease_seconds, self._log)

    async def _deliver(self, claimed: Sequence[Claimed]) -> None:
        try:
            await self._clients.open()
        except Exception as exc:
            for c in claimed:
                c.errors.append(error_text(exc))
            return
        # Both destinations at once: they are independent, and each is marked on its own.
        await asyncio.gather(self.activity.write([c for c in claimed if not c.log_done]),
                             self.bus.publish([c for c in claimed if not c.bus_done]))

    async def _mark(self, claimed: Sequence[Claimed]) -> int:
        marked = await claims.mark(self._session_factory, self._gate, claimed, self._backoff, self._log)
        self.failures_total += marked.failed
        if marked.soonest_retry is not None:  # sweep again when it falls due
            self._next_sweep = min(self._next_sweep, asyncio.get_running_loop().time() + marked.soonest_retry)
        self.delivered_total += marked.delivered
        return marked.delivered

    def _backoff(self, attempts: int) -> float:
        ceiling: float = min(self.backoff_max, self.backoff_base * float(2 ** max(0, min(attempts, 30) - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto

    async def _next_wait(self) -> float:
        """Sleep until the sweep, or sooner when a backed-off row falls due."""
        return await claims.next_due(self._session_factory, self.sweep_interval)
