"""A subscription's buffer of live events (resolvers/live.py `Subscription`):
bounded, in order, a full buffer marks the stream slow instead of growing, and a
wait that is cancelled (the table-poll timeout) loses nothing."""

from __future__ import annotations

import asyncio

import pytest

from models.tables import BoardEventKind
from resolvers.live import RESYNC, LiveEvent, Subscription


def ev(seq: int) -> LiveEvent:
    return LiveEvent("brd_1", seq, BoardEventKind.TASK_UPDATED, {"seq": seq})


async def test_events_come_out_in_order_and_a_waiting_get_is_woken() -> None:
    sub = Subscription("brd_1", maxsize=8)
    waiting = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    sub.offer(ev(1))
    sub.offer(ev(2))
    assert (await waiting).seq == 1
    assert (await sub.get()).seq == 2


async def test_a_full_buffer_marks_the_stream_slow_and_keeps_what_it_had() -> None:
    sub = Subscription("brd_1", maxsize=2)
    for seq in (1, 2, 3):
        sub.offer(ev(seq))
    assert sub.slow
    assert [(await sub.get()).seq for _ in range(2)] == [1, 2]


async def test_nudge_wakes_a_waiting_stream_and_never_overflows() -> None:
    sub = Subscription("brd_1", maxsize=1)
    waiting = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    sub.nudge()
    assert await waiting is RESYNC
    sub.offer(ev(1))
    sub.nudge()  # full: nothing is added, and the stream is not marked slow
    assert not sub.slow and (await sub.get()).seq == 1


async def test_a_cancelled_wait_loses_no_event() -> None:
    sub = Subscription("brd_1", maxsize=4)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sub.get(), 0.01)
    sub.offer(ev(1))
    assert (await asyncio.wait_for(sub.get(), 1)).seq == 1
