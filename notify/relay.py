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
import json
import logging
import random
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from models.db import WriteGate
from models.tables import LOG_TYPES, ActivityKind, BoardEventRow, utcnow
from notify.claims import Claimed, LeaseRenewal, claim
from notify.delivery_trace import delivery

SOURCE = "taskboard"
MAX_ENTRIES_PER_PUT = 10
MAX_PUT_BYTES = 256 * 1024
MAX_ERROR_CHARS = 2000


def activity_item(payload: dict[str, Any]) -> dict[str, Any]:
    """The DynamoDB item (low-level attribute values) for one event payload (as the
    unit of work wrote it: eventId, seq, boardId, kind, ... are always set)."""
    board_id = payload["boardId"]
    seq = int(payload["seq"])
    task_id = payload.get("taskId")
    activity_kind = payload.get("activityKind") or ""
    message = payload.get("message") or ""
    at = payload.get("at") or ""
    log_type = payload.get("logType")
    if not log_type:
        with contextlib.suppress(ValueError):
            log_type = LOG_TYPES[ActivityKind(activity_kind)]
    item: dict[str, Any] = {
        "PK": {"S": f"BOARD#{board_id}"},
        "SK": {"S": f"{seq:012d}"},
        "EventId": {"S": str(payload["eventId"])},
        "Seq": {"N": str(seq)},
        "BoardId": {"S": str(board_id)},
        "Kind": {"S": str(payload.get("kind") or "")},
        "ActivityKind": {"S": str(activity_kind)},
        "DetailType": {"S": str(payload.get("detailType") or "")},
        "ActorId": {"S": str(payload.get("actorId") or "")},
        "ActorEmail": {"S": str(payload.get("actorEmail") or "")},
        "Message": {"S": message},
        "At": {"S": at},
        # The seed's attributes.
        "Timestamp": {"S": at},
        "LogType": {"S": str(log_type or "")},
        "LogContent": {"S": message},
    }
    if payload.get("boardName"):
        item["BoardName"] = {"S": str(payload["boardName"])}
    if task_id:
        item["TaskPK"] = {"S": f"TASK#{task_id}"}
        item["TaskId"] = {"S": str(task_id)}
    if payload.get("changes") is not None:
        item["Changes"] = {"S": json.dumps(payload["changes"], separators=(",", ":"), ensure_ascii=False)}
    # DynamoDB rejects empty strings only in key attributes; keep items tidy anyway.
    return {k: v for k, v in item.items() if not ("S" in v and v["S"] == "" and k not in ("Message", "LogContent"))}


def event_detail(payload: dict[str, Any], limit: int = MAX_PUT_BYTES - 4096) -> str:
    """The payload as the event's Detail, verbatim; an oversized task description
    (the only unbounded field) is cut so the entry fits EventBridge's 256 KB."""
    detail = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if len(detail.encode()) <= limit:
        return detail
    trimmed = json.loads(detail)
    task = trimmed.get("task")
    if isinstance(task, dict) and isinstance(task.get("description"), str):
        overflow = len(detail.encode()) - limit
        description = task["description"].encode()
        task["description"] = description[: max(0, len(description) - overflow - 64)].decode(errors="ignore")
        trimmed["descriptionTruncated"] = True
    return json.dumps(trimmed, separators=(",", ":"), ensure_ascii=False)


def _entry_size(entry: dict[str, Any]) -> int:
    # EventBridge's own size rule: the UTF-8 sizes of Source, DetailType, Detail,
    # Resources, plus 14 bytes for Time when set.
    return sum(len(str(entry.get(k, "")).encode()) for k in ("Source", "DetailType", "Detail")) + 14


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        text = f"{err.get('Code', type(exc).__name__)}: {err.get('Message', str(exc))}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS]


class OutboxRelay:
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
    ) -> None:
        self._session_factory = session_factory
        self._is_mysql = is_mysql
        self._aws_session = aws_session
        self.table_name = table_name
        self.event_bus = event_bus
        self._endpoint_url = endpoint_url
        self._region = region
        self.batch_size = batch_size
        self.sweep_interval = sweep_interval
        self.lease_seconds = lease_seconds
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._gate = gate if gate is not None else WriteGate(sqlite=not is_mysql)
        self._log = logger or logging.getLogger("taskboard.notify.relay")
        # Fail fast: the relay retries itself, with backoff per row; the SDK's own
        # retries would only hold the batch (and its lease) longer.
        self._client_config = client_config or Config(
            connect_timeout=3,
            read_timeout=10,
            retries={"mode": "standard", "total_max_attempts": 2},
        )
        self._put_limit = asyncio.Semaphore(put_concurrency)
        self._wake = asyncio.Event()
        self._handed: list[Claimed] = []
        # How long handed-over rows (and nudges) wait for company before a delivery
        # (a claim): a batch costs one claim, one PutEvents and one mark, not one each.
        self.linger = linger
        self._linger_timer: asyncio.TimerHandle | None = None
        self._claim_timer: asyncio.TimerHandle | None = None
        self._next_sweep = 0.0  # loop time; 0: at once
        self._claim_now = True  # set by nudge: claim from the table at the next turn
        self._stopping = False
        self._running: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stack: AsyncExitStack | None = None
        self._ddb: Any = None
        self._events: Any = None
        self._clients_lock = asyncio.Lock()
        # Since start, for /metrics: events fully delivered, failed delivery attempts.
        self.delivered_total = 0
        self.failures_total = 0
        # Activity writes refused because the board/seq holds another event.
        self.conflicts_total = 0

    # --- lifecycle ---------------------------------------------------------

    def nudge(self, *_events: Any) -> None:
        """Ask for a claim pass (after a commit of rows not handed over): after
        `linger`, so that the commits of that moment share one claim, one delivery
        and one mark.  Usable directly as a unit of work listener; safe from any
        thread."""
        if self.linger <= 0:
            self._claim_now = True
            self._wake_up()
        else:
            self._in_loop(self._arm_claim)

    def _arm_claim(self) -> None:
        if self._claim_timer is None and self._loop is not None:
            self._claim_timer = self._loop.call_later(self.linger, self._claim_due)

    def _claim_due(self) -> None:
        self._claim_timer = None
        self._claim_now = True
        self._wake.set()

    def _wake_up(self) -> None:
        self._in_loop(self._wake.set)

    def _in_loop(self, callback: Callable[[], None]) -> None:
        """Run `callback` in the relay's loop: now when called from it (or before
        it runs), else through the loop, from whatever thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not loop:
                loop.call_soon_threadsafe(callback)
                return
        callback()

    def handoff(self, rows: Sequence[BoardEventRow]) -> None:
        """A unit of work listener: rows just committed already leased to this relay
        (see `models.uow.UnitOfWork`'s `lease_seconds`); deliver them without a claim."""
        for row in rows:
            self._handed.append(Claimed(
                id=row.id, seq=row.seq, board_id=row.board_id, attempts=row.attempts or 1,
                payload=row.payload, detail_type=row.detail_type, log_done=False, bus_done=False,
            ))
        if self.linger <= 0 or len(self._handed) >= self.batch_size:
            self._wake_up()
        elif self._linger_timer is None:
            self._linger_timer = asyncio.get_running_loop().call_later(self.linger, self._linger_done)

    def _linger_done(self) -> None:
        self._linger_timer = None
        self._wake_up()

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
        self._loop = asyncio.get_running_loop()
        self._running = asyncio.Event()
        failures = 0
        try:
            while not self._stopping:
                self._wake.clear()
                loop = self._loop
                try:
                    await self._deliver_handed()
                    if self._claim_now or loop.time() >= self._next_sweep:
                        self._claim_now = False  # a nudge during the pass sets it again
                        while not self._stopping:
                            claimed, _ = await self._pass()
                            if claimed < self.batch_size:
                                break
                        self._next_sweep = loop.time() + await self._next_wait()
                    failures = 0
                    timeout = 0.0 if self._claim_now else max(0.0, self._next_sweep - loop.time())
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database, most likely: back off the loop itself
                    failures += 1
                    timeout = self._backoff(failures)
                    self._next_sweep = loop.time() + timeout
                    self._log.warning("outbox relay pass failed (retry in %.1fs): %s", timeout, _error_text(exc))
                if self._stopping:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            self._running.set()
            await self._close_clients()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._running is not None:
            await self._running.wait()
        await self._close_clients()

    async def aclose(self) -> None:
        await self._close_clients()

    # --- the work ----------------------------------------------------------

    async def deliver_once(self) -> int:
        """Claim one batch and deliver it; the number of rows now fully delivered.
        Errors are logged and recorded on the rows, never raised."""
        try:
            handed = await self._deliver_handed()
            _, delivered = await self._pass()
            return handed + delivered
        except Exception as exc:
            self._log.warning("outbox relay pass failed: %s", _error_text(exc))
            return 0

    async def backlog(self) -> tuple[int, float]:
        """(pending rows, age in seconds of the oldest pending row)."""
        async with self._session_factory() as session:
            result = await session.execute(
                select(func.count(), func.min(BoardEventRow.created_at)).where(BoardEventRow.pending == True)  # type: ignore[arg-type]  # noqa: E712
            )
            count, oldest = result.one()
        if not count or oldest is None:
            return 0, 0.0
        if oldest.tzinfo is None:  # min() bypasses the column type on some backends
            from datetime import UTC

            oldest = oldest.replace(tzinfo=UTC)
        return int(count), max(0.0, (utcnow() - oldest).total_seconds())

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
        return await claim(self._session_factory, self._gate, mysql=self._is_mysql, batch_size=self.batch_size,
                           lease_seconds=self.lease_seconds)

    def _renewing(self, claimed: Sequence[Claimed]) -> LeaseRenewal:
        """The lease of `claimed` kept alive while they are delivered."""
        return LeaseRenewal(self._session_factory, self._gate, claimed, self.lease_seconds, self._log)

    async def _clients(self) -> tuple[Any, Any]:
        async with self._clients_lock:
            if self._stack is None:
                stack = AsyncExitStack()
                kw = {
                    "endpoint_url": self._endpoint_url,
                    "region_name": self._region,
                    "config": self._client_config,
                }
                try:
                    self._ddb = await stack.enter_async_context(self._aws_session.client("dynamodb", **kw))
                    self._events = await stack.enter_async_context(self._aws_session.client("events", **kw))
                except BaseException:
                    await stack.aclose()
                    raise
                self._stack = stack
            return self._ddb, self._events

    async def _close_clients(self) -> None:
        async with self._clients_lock:
            stack, self._stack = self._stack, None
            self._ddb = self._events = None
        if stack is not None:
            try:
                await stack.aclose()
            except Exception as exc:
                self._log.debug("closing relay clients: %s", exc)

    async def _deliver(self, claimed: Sequence[Claimed]) -> None:
        try:
            ddb, events = await self._clients()
        except Exception as exc:
            for c in claimed:
                c.errors.append(_error_text(exc))
            return
        # Both destinations at once: they are independent, and each is marked on its own.
        await asyncio.gather(*(self._put_item(ddb, c) for c in claimed if not c.log_done),
                             self._put_events(events, [c for c in claimed if not c.bus_done]))

    async def _put_item(self, ddb: Any, c: Claimed) -> None:
        async with self._put_limit:
            item = activity_item(c.payload)
            try:
                # The slot is free, or holds this very event (an earlier attempt wrote it).
                await ddb.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(PK) OR EventId = :id",
                    ExpressionAttributeValues={":id": item["EventId"]},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                c.log_ok = True
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    self._conflict(c, exc)
                else:
                    c.errors.append("activity log: " + _error_text(exc))
            except Exception as exc:
                c.errors.append("activity log: " + _error_text(exc))

    def _conflict(self, c: Claimed, exc: ClientError) -> None:
        """Another event holds this board/seq in the log: a seq was reused (a database
        restored to an earlier point).  Not a success: the row stays undelivered to
        the log, retried with backoff, counted and alarmed on until resolved."""
        held = exc.response.get("Item", {}).get("EventId", {}).get("S") or "another event"
        c.conflict = True
        self.conflicts_total += 1
        c.errors.append(f"activity log: conflict: board {c.board_id} seq {c.seq} already holds event {held}, "
                        f"not {c.id}")
        self._log.error("activity log conflict: board %s seq %s holds event %s; event %s not written",
                        c.board_id, c.seq, held, c.id)

    async def _put_events(self, events: Any, todo: Sequence[Claimed]) -> None:
        batches: list[list[tuple[Claimed, dict[str, Any]]]] = []
        current: list[tuple[Claimed, dict[str, Any]]] = []
        size = 0
        for c in todo:
            entry = {
                "Source": SOURCE,
                "DetailType": c.detail_type,
                "Detail": event_detail(c.payload),
                "EventBusName": self.event_bus,
            }
            entry_size = _entry_size(entry)
            if current and (len(current) >= MAX_ENTRIES_PER_PUT or size + entry_size > MAX_PUT_BYTES):
                batches.append(current)
                current, size = [], 0
            current.append((c, entry))
            size += entry_size
        if current:
            batches.append(current)
        # One batch at a time: concurrent PutEvents calls measured slower in total
        # (moto's server timed out under ten at once) and would share one backoff anyway.
        for batch in batches:
            await self._put_batch(events, batch)

    async def _put_batch(self, events: Any, batch: list[tuple[Claimed, dict[str, Any]]]) -> None:
        try:
            resp = await events.put_events(Entries=[entry for _, entry in batch])
        except Exception as exc:
            for c, _ in batch:
                c.errors.append("event bus: " + _error_text(exc))
            return
        results = resp.get("Entries", [])
        for index, (c, _) in enumerate(batch):
            result = results[index] if index < len(results) else {"ErrorCode": "MissingResult"}
            if result.get("ErrorCode") or not result.get("EventId"):
                code, text = result.get("ErrorCode", "NoEventId"), result.get("ErrorMessage", "")
                c.errors.append(f"event bus: {code}: {text}"[:MAX_ERROR_CHARS])
            else:
                c.bus_ok = True

    async def _mark(self, claimed: Sequence[Claimed]) -> int:
        now = utcnow()
        delivered = 0
        async with self._gate, self._session_factory() as session:
            await session.connection(execution_options={"write": True})
            # The usual case, both destinations done in this attempt: one statement for all.
            fresh = {c.id for c in claimed if c.log_ok and c.bus_ok and not c.log_done and not c.bus_done}
            if fresh:
                await session.execute(
                    update(BoardEventRow)
                    .where(col(BoardEventRow.id).in_(sorted(fresh)))
                    .values(log_delivered_at=now, bus_delivered_at=now, pending=False, next_attempt_at=None)
                )
                delivered += len(fresh)
            for c in claimed:
                if c.id in fresh:
                    continue
                log_done = c.log_done or c.log_ok
                bus_done = c.bus_done or c.bus_ok
                values: dict[str, Any] = {}
                if c.log_ok and not c.log_done:
                    values["log_delivered_at"] = now
                if c.bus_ok and not c.bus_done:
                    values["bus_delivered_at"] = now
                if log_done and bus_done:
                    values.update(pending=False, next_attempt_at=None)
                    delivered += 1
                    # Delivered is delivered, whoever holds the lease now.
                    await session.execute(
                        update(BoardEventRow).where(BoardEventRow.id == c.id).values(**values)  # type: ignore[arg-type]
                    )
                    continue
                error = "; ".join(c.errors)[:MAX_ERROR_CHARS] or "not delivered"
                self.failures_total += 1
                if values:  # the destination that did succeed stays done
                    await session.execute(
                        update(BoardEventRow).where(BoardEventRow.id == c.id).values(**values)  # type: ignore[arg-type]
                    )
                # The backoff only if the lease is still ours (attempts is the fence).
                delay = self._backoff(c.attempts)
                # Sweep again when it falls due.
                self._next_sweep = min(self._next_sweep, asyncio.get_running_loop().time() + delay)
                await session.execute(
                    update(BoardEventRow)
                    .where(and_(BoardEventRow.id == c.id, BoardEventRow.attempts == c.attempts))  # type: ignore[arg-type]
                    .values(last_error=error, next_attempt_at=now + timedelta(seconds=delay))
                )
                self._log.warning(
                    "outbox event %s (board %s seq %s) not delivered, attempt %d, retry in %.1fs: %s",
                    c.id,
                    c.board_id,
                    c.seq,
                    c.attempts,
                    delay,
                    error,
                )
            await session.commit()
        self.delivered_total += delivered
        return delivered

    def _backoff(self, attempts: int) -> float:
        ceiling: float = min(self.backoff_max, self.backoff_base * float(2 ** max(0, min(attempts, 30) - 1)))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not crypto

    async def _next_wait(self) -> float:
        """Sleep until the sweep, or sooner when a backed-off row falls due."""
        async with self._session_factory() as session:
            result = await session.execute(
                select(func.min(BoardEventRow.next_attempt_at)).where(col(BoardEventRow.pending) == True)  # noqa: E712
            )
            due: datetime | None = result.scalar_one_or_none()
        if due is None:
            return self.sweep_interval
        if due.tzinfo is None:
            from datetime import UTC

            due = due.replace(tzinfo=UTC)
        return max(0.01, min(self.sweep_interval, (due - utcnow()).total_seconds() + 0.01))
