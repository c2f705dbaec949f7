"""The outbox relay against moto's server (and a fault-injecting proxy in front of
it), on SQLite and, when configured, MySQL."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from notify_faultproxy import FaultProxy, fail_put_events_entry, refused, throttle_dynamodb
from notify_testkit import (
    REGION,
    AwsEnv,
    Db,
    add_board,
    add_user,
    recipient,
    record,
    rows,
    task_snapshot,
)
from sqlalchemy import update

from models.db import make_engine, make_session_factory
from models.events import MAIL_DETAIL_TYPES
from models.tables import ActivityKind, BoardEventKind, BoardEventRow
from notify.emulator import LocalAWS
from notify.relay import OutboxRelay


def make_relay(db: Db, aws: AwsEnv, endpoint_url: str | None = None, **kw: Any) -> OutboxRelay:
    kw.setdefault("backoff_base", 0.05)
    kw.setdefault("backoff_max", 0.3)
    kw.setdefault("gate", db.gate)
    return OutboxRelay(
        db.session_factory,
        db.is_mysql,
        aws.session,
        aws.table,
        aws.bus,
        endpoint_url or aws.endpoint_url,
        REGION,
        **kw,
    )


async def wait_until(pred: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def drained(relay: OutboxRelay) -> bool:
    return (await relay.backlog())[0] == 0


async def some_events(db: Db, n: int, boards: int = 1) -> list[BoardEventRow]:
    actor = await add_user(db, name="Actor")
    assignee = await add_user(db, name="Assignee")
    made = [await add_board(db, actor, name=f"Board {i}") for i in range(boards)]
    out = []
    for i in range(n):
        board = made[i % boards]
        task = task_snapshot(board, actor, assignee, title=f"Task {i}", status="DONE")
        out.append(
            await record(
                db,
                board,
                actor,
                task=task,
                changes={"status": {"from": "TODO", "to": "DONE"}},
                recipients=[recipient(assignee, "assignee")],
            )
        )
    return out


@pytest.fixture
def proxy(moto: LocalAWS) -> Any:
    p = FaultProxy("127.0.0.1", moto.port).start()
    yield p
    p.down()


async def test_nudges_within_the_linger_share_one_claim(db: Db, aws: AwsEnv) -> None:
    """Commits of one moment are claimed together: one claim pass (and one delivery)
    for all of them, made after the linger and not a sweep later."""
    actor = await add_user(db, name="Ann")
    board = await add_board(db, actor, "Linger")
    relay = make_relay(db, aws, sweep_interval=60.0, linger=1.0)
    passes = []
    real_pass = relay._pass

    async def counted() -> Any:
        result = await real_pass()
        passes.append(result[0])
        return result

    async def started() -> bool:
        return len(passes) == 1  # the pass at start

    relay._pass = counted  # type: ignore[method-assign]
    runner = asyncio.create_task(relay.run())
    try:
        await wait_until(started, within=5)
        passes.clear()
        for n in range(3):
            await record(db, board, actor, message=f"change {n}", listeners=[relay.nudge])
        started = time.monotonic()
        await wait_until(lambda: drained(relay), within=5)
        assert time.monotonic() - started < 5
    finally:
        await relay.stop()
        await runner
    assert passes == [3]
    assert len(aws.activity_items(board.id)) == 3


async def test_committed_change_gives_one_item_and_one_event(db: Db, aws: AwsEnv) -> None:
    actor = await add_user(db, "ocean1220@naver.com", "Ocean")
    assignee = await add_user(db, name="Dev")
    board = await add_board(db, actor, "Sprint 3")
    relay = make_relay(db, aws, sweep_interval=60.0)  # only the nudge can make it fast
    runner = asyncio.create_task(relay.run())
    try:
        task = task_snapshot(board, actor, assignee, status="DONE")
        row = await record(
            db,
            board,
            actor,
            task=task,
            changes={"status": {"from": "TODO", "to": "DONE"}},
            recipients=[recipient(assignee, "assignee")],
            message="Supervisor ocean1220@naver.com Done Task CI/CD Test at 2023-06-23T07:34:16.948Z",
            listeners=[relay.nudge],
        )
        await wait_until(lambda: drained(relay), within=5)
    finally:
        await relay.stop()
        await runner

    (stored,) = await rows(db)
    assert not stored.pending and stored.log_delivered_at and stored.bus_delivered_at
    assert stored.attempts == 1

    (item,) = aws.activity_items(board.id)
    assert item["PK"] == {"S": f"BOARD#{board.id}"}
    assert item["SK"] == {"S": "000000000001"}
    assert item["TaskPK"] == {"S": f"TASK#{task['id']}"}
    assert item["EventId"] == {"S": row.id}
    assert item["Seq"] == {"N": "1"}
    assert item["BoardId"] == {"S": board.id}
    assert item["TaskId"] == {"S": task["id"]}
    assert item["Kind"] == {"S": "TASK_UPDATED"}
    assert item["ActivityKind"] == {"S": "TASK_STATUS_CHANGED"}
    assert item["ActorEmail"] == {"S": "ocean1220@naver.com"}
    assert item["LogType"] == {"S": "StatusChange"}
    assert item["LogContent"] == item["Message"]
    assert item["Message"]["S"].startswith("Supervisor ocean1220@naver.com Done Task CI/CD Test")
    assert item["Timestamp"] == item["At"] == {"S": row.payload["at"]}
    assert json.loads(item["Changes"]["S"]) == {"status": {"from": "TODO", "to": "DONE"}}

    by_task = aws.client("dynamodb").query(
        TableName=aws.table,
        IndexName="ByTask",
        KeyConditionExpression="TaskPK = :t",
        ExpressionAttributeValues={":t": {"S": f"TASK#{task['id']}"}},
    )["Items"]
    assert [i["EventId"]["S"] for i in by_task] == [row.id]

    (event,) = aws.drain_queue()
    assert event["source"] == "taskboard"
    assert event["detail-type"] == "TaskStatusChanged"
    assert event["detail"] == row.payload


async def test_member_event_has_no_task_key(sqlite_db: Db, aws: AwsEnv) -> None:
    db = sqlite_db
    owner = await add_user(db)
    board = await add_board(db, owner)
    await record(
        db,
        board,
        owner,
        kind=BoardEventKind.MEMBER_REMOVED,
        activity_kind=ActivityKind.MEMBER_REMOVED,
        message=f"Owner {owner.email} removed someone",
    )
    relay = make_relay(db, aws)
    assert await relay.deliver_once() == 1
    await relay.aclose()
    (item,) = aws.activity_items(board.id)
    assert "TaskPK" not in item and "TaskId" not in item and "Changes" not in item
    # The bus rule routes only the detail types that mail (MemberAdded does; MemberRemoved not).
    assert "MemberRemoved" not in MAIL_DETAIL_TYPES
    assert aws.drain_queue() == []


async def test_redelivery_does_not_duplicate_the_item(db: Db, aws: AwsEnv) -> None:
    (row,) = await some_events(db, 1)
    relay = make_relay(db, aws)
    assert await relay.deliver_once() == 1
    async with db.session_factory() as session:
        await session.execute(
            update(BoardEventRow)
            .where(BoardEventRow.id == row.id)
            .values(pending=True, log_delivered_at=None, bus_delivered_at=None, next_attempt_at=None)
        )
        await session.commit()
    assert await relay.deliver_once() == 1
    await relay.aclose()
    items = aws.activity_items(row.board_id)
    assert [i["EventId"]["S"] for i in items] == [row.id]
    # EventBridge itself is at-least-once; both copies carry the same eventId (the mailer dedups).
    assert {e["detail"]["eventId"] for e in aws.drain_queue()} == {row.id}


async def test_put_events_partial_failure_retries_only_the_failed_entry(
    sqlite_db: Db, aws: AwsEnv, proxy: FaultProxy
) -> None:
    db = sqlite_db
    made = await some_events(db, 3)
    hook, put_sizes = fail_put_events_entry(index=1)
    proxy.hooks.append(hook)
    relay = make_relay(db, aws, proxy.endpoint_url)
    assert await relay.deliver_once() == 2
    state = {r.id: r for r in await rows(db)}
    failed = state[made[1].id]
    assert failed.pending and failed.log_delivered_at is not None and failed.bus_delivered_at is None
    assert failed.last_error and "InternalFailure" in failed.last_error
    assert not state[made[0].id].pending and not state[made[2].id].pending

    await asyncio.sleep(0.35)  # past the backoff
    assert await relay.deliver_once() == 1
    await relay.aclose()
    assert put_sizes == [3, 1]
    put_items = [r for r in proxy.seen if r.target == "DynamoDB_20120810.PutItem"]
    assert len(put_items) == 3  # the log of the failed row was not written again
    events = aws.drain_queue()
    assert sorted(e["detail"]["eventId"] for e in events) == sorted(r.id for r in made)
    # What /metrics reports: every event delivered once, the one failed entry counted once.
    assert relay.delivered_total == len(made) and relay.failures_total == 1
    assert all(not r.pending for r in await rows(db))


async def test_dynamodb_throttling_is_retried(sqlite_db: Db, aws: AwsEnv, proxy: FaultProxy) -> None:
    db = sqlite_db
    (row,) = await some_events(db, 1)
    hook, throttled = throttle_dynamodb(times=3)
    proxy.hooks.append(hook)
    relay = make_relay(db, aws, proxy.endpoint_url, sweep_interval=0.2)
    runner = asyncio.create_task(relay.run())
    try:
        relay.nudge()
        await wait_until(lambda: drained(relay), within=15)
    finally:
        await relay.stop()
        await runner
    assert throttled == [3]
    (stored,) = await rows(db)
    assert stored.attempts >= 2 and not stored.pending
    assert "ProvisionedThroughputExceeded" in (stored.last_error or "")
    assert [i["EventId"]["S"] for i in aws.activity_items(row.board_id)] == [row.id]
    assert [e["detail"]["eventId"] for e in aws.drain_queue()] == [row.id]


async def test_aws_down_keeps_rows_pending_then_delivers_exactly_once(db: Db, aws: AwsEnv, proxy: FaultProxy) -> None:
    proxy.down()
    assert refused(proxy.port)
    made = await some_events(db, 3, boards=2)
    relay = make_relay(db, aws, proxy.endpoint_url, sweep_interval=0.2)
    started = time.monotonic()
    assert await relay.deliver_once() == 0
    assert time.monotonic() - started < 8, "a relay facing a dead endpoint must fail fast"
    for r in await rows(db):
        assert r.pending and r.attempts == 1
        assert r.log_delivered_at is None and r.bus_delivered_at is None
        assert r.last_error and "activity log" in r.last_error and "event bus" in r.last_error
        assert r.next_attempt_at is not None

    proxy.up()
    runner = asyncio.create_task(relay.run())
    try:
        relay.nudge()
        await wait_until(lambda: drained(relay), within=15)
    finally:
        await relay.stop()
        await runner
    items = [i for b in {r.board_id for r in made} for i in aws.activity_items(b)]
    assert sorted(i["EventId"]["S"] for i in items) == sorted(r.id for r in made)
    events = aws.drain_queue()
    assert sorted(e["detail"]["eventId"] for e in events) == sorted(r.id for r in made)
    # What /metrics reports: every event delivered once, and the failed first pass counted.
    assert relay.delivered_total == len(made) and relay.failures_total >= len(made)


async def test_killed_relay_is_redelivered_once_after_the_lease(db: Db, aws: AwsEnv) -> None:
    (row,) = await some_events(db, 1)
    crashed = make_relay(db, aws, lease_seconds=1.0)
    claimed = await crashed._claim()  # claimed, then "killed": never delivered nor marked
    assert [c.id for c in claimed] == [row.id]
    survivor = make_relay(db, aws, lease_seconds=1.0)
    assert await survivor.deliver_once() == 0  # leased: not due
    assert (await survivor.backlog())[0] == 1
    await asyncio.sleep(1.1)
    assert await survivor.deliver_once() == 1
    assert await survivor.deliver_once() == 0
    await survivor.aclose()
    (stored,) = await rows(db)
    assert stored.attempts == 2 and not stored.pending
    assert [i["EventId"]["S"] for i in aws.activity_items(row.board_id)] == [row.id]
    assert [e["detail"]["eventId"] for e in aws.drain_queue()] == [row.id]


async def test_two_relays_at_once_deliver_each_event_once(db: Db, aws: AwsEnv) -> None:
    n = 40
    made = await some_events(db, n, boards=4)
    # A second "process": its own engine and pool (on SQLite the same file and gate).
    engine2 = make_engine(db.url, pool_size=5) if db.is_mysql else make_engine(db.url)
    try:
        db2 = Db(engine2, make_session_factory(engine2), db.is_mysql, db.gate, db.url)
        relays = [make_relay(db, aws, batch_size=3), make_relay(db2, aws, batch_size=3)]
        delivered = [0, 0]

        async def drain(i: int) -> None:
            relay = relays[i]
            while (await relay.backlog())[0]:
                delivered[i] += await relay.deliver_once()
                await asyncio.sleep(0)
            await relay.aclose()

        await asyncio.wait_for(asyncio.gather(drain(0), drain(1)), 30)
    finally:
        await engine2.dispose()
    assert sum(delivered) == n
    assert all(d > 0 for d in delivered), f"both relays should have worked: {delivered}"
    events = Counter(e["detail"]["eventId"] for e in aws.drain_queue())
    assert set(events) == {r.id for r in made}
    assert set(events.values()) == {1}, "an event was sent twice"
    for r in await rows(db):
        assert r.attempts == 1 and not r.pending


async def test_backlog_reports_count_and_age(sqlite_db: Db, aws: AwsEnv) -> None:
    db = sqlite_db
    relay = make_relay(db, aws)
    assert await relay.backlog() == (0, 0.0)
    await some_events(db, 2)
    await asyncio.sleep(0.05)
    count, age = await relay.backlog()
    assert count == 2 and 0.04 < age < 10


async def test_rows_handed_over_at_commit_need_no_claim_and_are_not_taken_by_others(db: Db, aws: AwsEnv) -> None:
    mine = make_relay(db, aws, sweep_interval=60.0, lease_seconds=30.0)
    other = make_relay(db, aws, sweep_interval=60.0)
    actor = await add_user(db, name="Actor")
    board = await add_board(db, actor)
    # As `serve` runs the inline relay: rows written leased to it, handed over after the commit.
    row = await record(db, board, actor, listeners=[mine.handoff], lease_seconds=30.0)
    (stored,) = await rows(db)
    assert stored.pending and stored.attempts == 1 and stored.next_attempt_at is not None
    assert await other.deliver_once() == 0, "another relay must leave a leased row alone"
    assert await mine.deliver_once() == 1
    await mine.aclose()
    await other.aclose()
    (stored,) = await rows(db)
    assert not stored.pending and stored.attempts == 1
    assert [e["detail"]["eventId"] for e in aws.drain_queue()] == [row.id]
