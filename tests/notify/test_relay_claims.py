"""Relay claims (issue 13 item 12): a lease outlasts the slowest delivery (it is
renewed while the delivery runs), and a claim takes one batch, leaving the
other due rows to the other relays."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest
from notify_faultproxy import FaultProxy, Request
from notify_testkit import (
    REGION,
    AwsEnv,
    Db,
    MysqlDatabases,
    add_board,
    add_user,
    open_mysql_db,
    record,
    rows,
)

from models.db import make_engine, make_session_factory
from notify.emulator import LocalAWS
from notify.relay import OutboxRelay


def make_relay(db: Db, aws: AwsEnv, endpoint_url: str | None = None, **kw: Any) -> OutboxRelay:
    return OutboxRelay(db.session_factory, db.is_mysql, aws.session, aws.table, aws.bus,
                       endpoint_url or aws.endpoint_url, REGION, gate=db.gate, backoff_base=0.05, backoff_max=0.3,
                       **kw)


def second_process(db: Db) -> Db:
    """Another relay process's view of the database: its own engine and pool (on
    SQLite the same file, and the gate its writers queue on)."""
    engine = make_engine(db.url, pool_size=5) if db.is_mysql else make_engine(db.url)
    return Db(engine, make_session_factory(engine), db.is_mysql, db.gate, db.url)


@pytest.fixture
def slow_bus(moto: LocalAWS) -> Any:
    """A proxy in front of moto whose PutEvents answers take 2.5 s."""

    def hook(req: Request) -> None:
        if req.target == "AWSEvents.PutEvents":
            time.sleep(2.5)

    proxy = FaultProxy("127.0.0.1", moto.port, hooks=[hook]).start()
    yield proxy
    proxy.down()


@pytest.mark.parametrize("handed_over", [False, True], ids=["claimed", "handed-over"])
async def test_a_delivery_slower_than_the_lease_is_not_taken_by_another_relay(
        db: Db, aws: AwsEnv, slow_bus: FaultProxy, handed_over: bool) -> None:
    actor = await add_user(db)
    board = await add_board(db, actor)
    slow = make_relay(db, aws, slow_bus.endpoint_url, lease_seconds=0.9)
    if handed_over:  # as `serve` with the inline relay: written leased, handed over at commit
        row = await record(db, board, actor, listeners=[slow.handoff], lease_seconds=0.9)
    else:
        row = await record(db, board, actor)
    other_db = second_process(db)
    other = make_relay(other_db, aws, lease_seconds=0.9)
    try:
        delivering = asyncio.create_task(slow.deliver_once())
        while not (await rows(db))[0].attempts:  # the slow relay holds the lease first
            await asyncio.sleep(0.01)
        taken = 0
        while not delivering.done():  # 2.5 s of PutEvents: almost three leases
            taken += await other.deliver_once()
            await asyncio.sleep(0.1)
        assert await delivering == 1
        assert taken == 0, "another relay delivered an event whose delivery was still running"
    finally:
        await slow.aclose()
        await other.aclose()
        await other_db.engine.dispose()
    (stored,) = await rows(db)
    assert not stored.pending and stored.attempts == 1
    assert [e["detail"]["eventId"] for e in aws.drain_queue()] == [row.id]


class PausingSessions:
    """Sessions that stop right after the claim's SELECT ... FOR UPDATE, with its
    row locks held, until released: the moment a second relay claims beside it."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self.paused = asyncio.Event()
        self.release = asyncio.Event()

    def __call__(self) -> Any:
        return _PausingSession(self, self._factory())


class _PausingSession:
    def __init__(self, owner: PausingSessions, session: Any) -> None:
        self._owner = owner
        self._session = session

    async def __aenter__(self) -> _PausingSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def execute(self, statement: Any, *args: Any, **kw: Any) -> Any:
        result = await self._session.execute(statement, *args, **kw)
        if getattr(statement, "_for_update_arg", None) is not None and not self._owner.paused.is_set():
            self._owner.paused.set()
            await self._owner.release.wait()
        return result


@pytest.mark.mysql
async def test_two_relays_claiming_at_once_both_get_rows(mysql_databases: MysqlDatabases, aws: AwsEnv) -> None:
    """On MySQL (on SQLite one relay per process: its writers queue on one gate)."""
    db = await open_mysql_db(mysql_databases)
    other_db = second_process(db)
    try:
        actor = await add_user(db)
        boards = [await add_board(db, actor, f"Board {i}") for i in range(3)]
        for i in range(12):
            await record(db, boards[i % 3], actor, message=f"change {i}")
        pausing = PausingSessions(db.session_factory)
        first = make_relay(db, aws, batch_size=5)
        first._session_factory = pausing
        second = make_relay(other_db, aws, batch_size=5)
        claiming = asyncio.create_task(first._claim())
        await asyncio.wait_for(pausing.paused.wait(), 10)
        try:
            theirs = await asyncio.wait_for(second._claim(), 10)
        finally:
            pausing.release.set()
        mine = await claiming
        assert len(mine) == 5
        assert len(theirs) == 5, "a claim must lock one batch, not every due row"
        assert not {c.id for c in mine} & {c.id for c in theirs}
        # Every row is delivered exactly once between them.
        for relay, claimed in ((first, mine), (second, theirs)):
            await relay._deliver(claimed)
            await relay._mark(claimed)
        while await second.deliver_once():
            pass
        await first.aclose()
        await second.aclose()
        assert all(not r.pending and r.attempts == 1 for r in await rows(db))
    finally:
        await other_db.engine.dispose()
        await db.engine.dispose()
    events = Counter(e["detail"]["eventId"] for e in aws.drain_queue())
    assert len(events) == 12 and set(events.values()) == {1}
