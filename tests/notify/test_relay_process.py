"""The relay in a child process (taskboard.relay_process), against moto's server
and the real database: a nudge after a commit delivers at once, a child that dies
is replaced, and a child whose server is gone exits by itself."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from typing import Any

from notify_testkit import AwsEnv, Db, add_board, add_user, record, rows, task_snapshot

from taskboard.relay_process import RelayProcess
from taskboard.settings import Settings


def relay_process(db: Db, aws: AwsEnv, **settings: Any) -> RelayProcess:
    cfg = Settings(env="test", database_url=db.url, aws="aws", jwt_secret="x" * 40, activity_table=aws.table,
                   event_bus=aws.bus, aws_region="us-east-1", relay_sweep_interval=60.0, **settings)

    async def backlog() -> tuple[int, float]:
        return sum(1 for r in await rows(db) if r.pending), 0.0

    return RelayProcess(cfg, aws.endpoint_url, backlog, restart_delay=0.1)


async def eventually(pred: Any, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def one_change(db: Db, listeners: list[Any], title: str = "Ship it") -> Any:
    actor = await add_user(db, name="Actor")
    assignee = await add_user(db, name="Assignee")
    board = await add_board(db, actor)
    task = task_snapshot(board, actor, assignee, title=title)
    return await record(db, board, actor, task=task, listeners=listeners)


async def delivered(db: Db) -> bool:
    return not any(r.pending for r in await rows(db))


async def test_a_nudge_delivers_through_the_child_and_counters_reach_the_parent(db: Db, aws: AwsEnv) -> None:
    rp = relay_process(db, aws)  # the sweep is 60 s away: only the nudge can make it fast
    runner = asyncio.create_task(rp.run())
    try:
        await eventually(lambda: _alive(rp))
        row = await one_change(db, [rp.nudge])
        await eventually(lambda: delivered(db), within=15)
        await eventually(lambda: _equals(lambda: rp.delivered_total, 1))
        assert rp.failures_total == 0
        assert (await rp.backlog())[0] == 0
    finally:
        await rp.stop()
        await runner
    assert rp._process.exitcode == 0, "a stopped child exits cleanly"
    assert [i["EventId"]["S"] for i in aws.activity_items(row.board_id)] == [row.id]
    assert Counter(e["detail"]["eventId"] for e in aws.drain_queue()) == {row.id: 1}


async def test_a_child_that_dies_is_replaced_and_its_rows_still_go_out_once(db: Db, aws: AwsEnv) -> None:
    rp = relay_process(db, aws, relay_lease_seconds=1.0)
    runner = asyncio.create_task(rp.run())
    try:
        await eventually(lambda: _alive(rp))
        first = rp.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await eventually(lambda: _equals(lambda: rp.restarts, 1))
        await eventually(lambda: _alive(rp))
        assert rp.pid != first
        row = await one_change(db, [rp.nudge])
        await eventually(lambda: delivered(db), within=15)
    finally:
        await rp.stop()
        await runner
    assert Counter(e["detail"]["eventId"] for e in aws.drain_queue()) == {row.id: 1}


async def test_the_child_exits_when_its_server_is_gone(db: Db, aws: AwsEnv) -> None:
    rp = relay_process(db, aws)
    runner = asyncio.create_task(rp.run())
    try:
        await eventually(lambda: _alive(rp))
        process = rp._process
        # What the kernel does when the server dies, SIGKILL included: our end of the pipe closes.
        rp._stopping = True  # no restart: this is the server going away
        fd, rp._write_fd = rp._write_fd, None
        assert fd is not None
        os.close(fd)
        await asyncio.to_thread(process.join, 15)
        assert not process.is_alive(), "an orphaned relay must not keep running"
        assert process.exitcode == 0
    finally:
        await rp.stop()
        await runner


async def _alive(rp: RelayProcess) -> bool:
    return rp._process is not None and rp._process.is_alive()


async def _equals(value: Any, expected: Any) -> bool:
    return bool(value() == expected)
