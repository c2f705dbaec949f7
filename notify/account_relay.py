"""The account outbox relay: puts committed `account_messages` rows (verification,
reset and invitation mail, phone codes) on the EventBridge bus, at least once, with
retries and backoff, so none is lost while AWS is down.  The mailer renders them
and is idempotent on the event id (the row's id), so a redelivery sends nothing twice.

A pass claims due rows in a short transaction (a lease in `next_attempt_at`, `FOR
UPDATE SKIP LOCKED` on MySQL, so relays of several processes never share a row),
delivers outside it, then marks each row delivered (and forgets the link it
carried: the token is only ever needed by the mail) or backs it off."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

from botocore.config import Config
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import WriteGate
from models.events import SOURCE
from models.table_refs import messages_t
from models.tables import utcnow

log = logging.getLogger("taskboard.notify.account_relay")
BATCH = 10  # PutEvents takes at most 10 entries


class AccountRelay:
    def __init__(self, engine: AsyncEngine, gate: WriteGate, aws_session: Any, *, bus: str,
                 endpoint_url: str | None, region: str, mysql: bool, sweep_interval: float = 5.0,
                 lease_seconds: float = 30.0, backoff_max: float = 300.0) -> None:
        self._engine = engine
        self._gate = gate
        self._aws_session = aws_session
        self._bus = bus
        self._endpoint_url = endpoint_url
        self._region = region
        self._mysql = mysql
        self._sweep = sweep_interval
        self._lease = timedelta(seconds=lease_seconds)
        self._backoff_max = backoff_max
        self._wake = asyncio.Event()
        self._stack: AsyncExitStack | None = None
        self._events: Any = None
        self.delivered_total = 0

    def nudge(self, *_: Any) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver on every nudge and sweep, until cancelled (which closes the client)."""
        try:
            while True:
                try:
                    while await self.deliver_once() == BATCH:
                        pass
                except Exception:
                    log.warning("account relay pass failed", exc_info=True)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._sweep)
                self._wake.clear()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.aclose())

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def _client(self) -> Any:
        if self._stack is None:
            stack = AsyncExitStack()
            config = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 2})
            self._events = await stack.enter_async_context(self._aws_session.client(
                "events", endpoint_url=self._endpoint_url, region_name=self._region, config=config))
            self._stack = stack
        return self._events

    async def _claim(self) -> list[Any]:
        now = utcnow()
        q = (select(messages_t.c.id, messages_t.c.detail_type, messages_t.c.payload, messages_t.c.attempts)
             .where(messages_t.c.pending.is_(True),
                    or_(messages_t.c.next_attempt_at.is_(None), messages_t.c.next_attempt_at <= now))
             .order_by(messages_t.c.created_at).limit(BATCH))
        if self._mysql:
            q = q.with_for_update(skip_locked=True)
        async with self._gate, self._engine.connect() as conn:
            await conn.execution_options(write=True)
            rows = list((await conn.execute(q)).all())
            if rows:
                await conn.execute(update(messages_t).where(messages_t.c.id.in_([r.id for r in rows]))
                                   .values(next_attempt_at=now + self._lease, attempts=messages_t.c.attempts + 1))
            await conn.commit()
        return rows

    async def deliver_once(self) -> int:
        """One batch: how many rows were claimed."""
        rows = await self._claim()
        if not rows:
            return 0
        failed: dict[str, str] = {}
        try:
            client = await self._client()
            entries = [{"Source": SOURCE, "DetailType": r.detail_type, "EventBusName": self._bus,
                        "Detail": json.dumps(r.payload, separators=(",", ":"), ensure_ascii=False)} for r in rows]
            resp = await client.put_events(Entries=entries)
            for row, result in zip(rows, resp.get("Entries") or [], strict=False):
                if result.get("ErrorCode"):
                    failed[row.id] = f"{result.get('ErrorCode')}: {result.get('ErrorMessage', '')}"[:2000]
            if len(resp.get("Entries") or []) < len(rows):
                failed.update({r.id: "no answer for the entry" for r in rows[len(resp.get("Entries") or []):]})
        except Exception as exc:
            failed = {r.id: f"{type(exc).__name__}: {exc}"[:2000] for r in rows}
            await self.aclose()  # a fresh client next time
        await self._mark(rows, failed)
        return len(rows)

    async def _mark(self, rows: list[Any], failed: dict[str, str]) -> None:
        now = utcnow()
        async with self._gate, self._engine.connect() as conn:
            await conn.execution_options(write=True)
            for row in rows:
                if row.id in failed:
                    delay = min(self._backoff_max, 2.0 ** min(row.attempts, 16)) * (0.5 + random.random() / 2)  # noqa: S311  # nosec B311 - jitter, not a secret
                    await conn.execute(update(messages_t).where(messages_t.c.id == row.id).values(
                        last_error=failed[row.id], next_attempt_at=now + timedelta(seconds=delay)))
                else:
                    # Delivered: the link (and its token) is no longer kept here.
                    payload = {k: v for k, v in row.payload.items() if k not in ("link", "code")}
                    await conn.execute(update(messages_t).where(messages_t.c.id == row.id).values(
                        pending=False, delivered_at=now, last_error=None, payload=payload))
                    self.delivered_total += 1
            await conn.commit()
        if failed:
            log.warning("account messages not delivered (%d): %s", len(failed), next(iter(failed.values())))
