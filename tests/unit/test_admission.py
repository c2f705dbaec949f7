"""QueryGate (taskboard/admission.py): queries are held back only while this
process writes, at most `limit` of them run then, in arrival order, and no
cancellation leaks or double-counts a place."""

from __future__ import annotations

import asyncio

import pytest

from models.db import WriteGate
from taskboard.admission import QueryGate


class Queries:
    """Queries that enter the gate and stay in until released one by one."""

    def __init__(self, gate: QueryGate) -> None:
        self.gate = gate
        self.started: list[int] = []
        self.peak = 0
        self._release: dict[int, asyncio.Event] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}

    async def _one(self, n: int) -> None:
        async with self.gate.query():
            self.started.append(n)
            self.peak = max(self.peak, self.gate.running)
            await self._release[n].wait()

    def start(self, *ns: int) -> None:
        for n in ns:
            self._release[n] = asyncio.Event()
            self.tasks[n] = asyncio.create_task(self._one(n))

    async def finish(self, n: int) -> None:
        self._release[n].set()
        await self.tasks[n]


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_with_no_write_in_flight_queries_are_not_held_back() -> None:
    gate = QueryGate(WriteGate(sqlite=False), limit=2)
    q = Queries(gate)
    q.start(*range(10))
    await settle()
    assert sorted(q.started) == list(range(10)) and gate.waited == 0
    for n in range(10):
        await q.finish(n)
    assert gate.running == 0


async def test_while_a_write_is_in_flight_at_most_limit_queries_run_in_arrival_order() -> None:
    writes = WriteGate(sqlite=False)
    gate = QueryGate(writes, limit=2)
    q = Queries(gate)
    await writes.__aenter__()
    q.start(0, 1, 2, 3, 4)
    await settle()
    assert q.started == [0, 1] and gate.waited == 3
    await q.finish(0)
    await settle()
    assert q.started == [0, 1, 2]
    await q.finish(2)
    await settle()
    assert q.started == [0, 1, 2, 3] and q.peak == 2
    await writes.__aexit__(None, None, None)  # the last writer leaves: everyone waiting starts
    await settle()
    assert q.started == [0, 1, 2, 3, 4]
    for n in (1, 3, 4):
        await q.finish(n)
    assert gate.running == 0


async def test_queries_already_running_when_a_write_starts_go_on_and_newcomers_wait() -> None:
    writes = WriteGate(sqlite=False)
    gate = QueryGate(writes, limit=1)
    q = Queries(gate)
    q.start(0, 1, 2)
    await settle()
    await writes.__aenter__()
    q.start(3)
    await settle()
    assert q.started == [0, 1, 2]  # three running, over the limit: none is stopped, 3 waits
    await q.finish(0)
    await q.finish(1)
    await settle()
    assert q.started == [0, 1, 2]  # still one running (2): the limit is 1
    await q.finish(2)
    await settle()
    assert q.started == [0, 1, 2, 3]
    await q.finish(3)
    await writes.__aexit__(None, None, None)
    assert gate.running == 0


async def test_a_query_cancelled_while_waiting_takes_no_place() -> None:
    writes = WriteGate(sqlite=False)
    gate = QueryGate(writes, limit=1)
    q = Queries(gate)
    await writes.__aenter__()
    q.start(0, 1, 2)
    await settle()
    q.tasks[1].cancel()
    with pytest.raises(asyncio.CancelledError):
        await q.tasks[1]
    await q.finish(0)
    await settle()
    assert q.started == [0, 2] and gate.running == 1
    await q.finish(2)
    await writes.__aexit__(None, None, None)
    assert gate.running == 0


async def test_a_query_cancelled_as_it_is_admitted_gives_its_place_back() -> None:
    writes = WriteGate(sqlite=False)
    gate = QueryGate(writes, limit=1)
    q = Queries(gate)
    await writes.__aenter__()
    first = gate.query()
    await first.__aenter__()
    q.start(1, 2)
    await settle()
    assert q.started == [] and gate.waited == 2
    await first.__aexit__(None, None, None)  # admits 1 (it does not suspend: 1 has not run yet)
    q.tasks[1].cancel()
    with pytest.raises(asyncio.CancelledError):
        await q.tasks[1]
    await settle()
    assert q.started == [2] and gate.running == 1  # 1's place went on to 2
    await q.finish(2)
    await writes.__aexit__(None, None, None)
    assert gate.running == 0


@pytest.mark.parametrize("sqlite", [False, True])
async def test_the_write_gate_counts_writers_and_says_when_the_last_leaves(sqlite: bool) -> None:
    writes = WriteGate(sqlite=sqlite)
    idle: list[int] = []
    writes.on_idle = lambda: idle.append(writes.writers)
    await writes.__aenter__()
    second = asyncio.create_task(writes.__aenter__())  # on SQLite it queues behind the first
    await settle()
    assert writes.writers == 2
    await writes.__aexit__(None, None, None)
    await second
    assert idle == []
    await writes.__aexit__(None, None, None)
    assert idle == [0] and writes.writers == 0
