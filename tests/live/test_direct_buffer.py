"""A subscription's direct deliveries (resolvers/live_hub.py `Subscription`): only the
next event of a stream that waits with nothing buffered goes around it, the stream
is not woken while it is on its way, and one that did not land comes back first."""

from __future__ import annotations

import asyncio
from typing import Any

from models.tables import BoardEventKind
from resolvers.live import LiveEvent, Subscription


def ev(seq: int, kind: BoardEventKind = BoardEventKind.TASK_UPDATED) -> LiveEvent:
    return LiveEvent("brd_1", seq, kind, {"seq": seq})


class Sink:
    def __init__(self, take: bool = True) -> None:
        self.take = take
        self.got: list[int] = []

    def __call__(self, sub: Subscription, event: LiveEvent) -> bool:
        if self.take:
            self.got.append(event.seq)
        return self.take


async def waiting(sub: Subscription) -> asyncio.Task[Any]:
    task = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    return task


async def one_on_its_way() -> tuple[Subscription, asyncio.Task[Any], LiveEvent]:
    """A waiting stream whose seq 1 went around it and whose seq 2 is buffered behind it."""
    sub = Subscription("brd_1", 8)
    sub.direct, sub.last = Sink(), 0
    get = await waiting(sub)
    first = ev(1)
    sub.offer(first)
    sub.offer(ev(2))
    return sub, get, first


async def test_the_next_event_goes_around_a_waiting_stream_and_does_not_wake_it() -> None:
    sub, sink = Subscription("brd_1", 8), Sink()
    sub.direct, sub.last = sink, 4
    get = await waiting(sub)
    fifth = ev(5)
    sub.offer(fifth)
    assert sink.got == [5] and sub.busy
    sub.offer(ev(6))  # behind the one on its way: buffered, and the stream sleeps on
    assert sink.got == [5]
    await asyncio.sleep(0)
    assert not get.done()
    sub.landed(ev(5), True)  # not the event on its way (a stale landing): ignored
    assert sub.busy
    sub.landed(fifth, True)
    assert sub.last == 5 and not sub.busy
    assert (await asyncio.wait_for(get, 1)).seq == 6


async def test_an_event_that_did_not_land_is_the_streams_next() -> None:
    sub, get, first = await one_on_its_way()
    sub.landed(first, False)
    assert sub.last == 0
    assert (await asyncio.wait_for(get, 1)).seq == 1
    assert (await sub.get()).seq == 2


async def test_only_a_waiting_caught_up_stream_and_unchecked_kinds_go_direct() -> None:
    sub, sink = Subscription("brd_1", 8), Sink()
    sub.direct, sub.last = sink, 0
    sub.offer(ev(1))  # nobody waits: the stream is sending, or reading the table
    assert sink.got == [] and (await sub.get()).seq == 1
    get = await waiting(sub)
    sub.offer(ev(3))  # not the next one: a gap for the stream to fill
    assert sink.got == [] and (await get).seq == 3
    for kind in (BoardEventKind.MEMBER_REMOVED, BoardEventKind.BOARD_DELETED):
        get = await waiting(sub)
        sub.offer(ev(1, kind))  # the stream looks at these itself
        assert sink.got == [] and (await get).kind is kind
    sub.resync = True
    get = await waiting(sub)
    sub.offer(ev(1))
    assert sink.got == [] and (await get).seq == 1


async def test_a_refused_event_takes_the_ordinary_way() -> None:
    sub = Subscription("brd_1", 8)
    sub.direct, sub.last = Sink(take=False), 0
    get = await waiting(sub)
    sub.offer(ev(1))
    assert not sub.busy and (await asyncio.wait_for(get, 1)).seq == 1


async def test_a_timed_out_wait_does_not_return_while_an_event_is_on_its_way() -> None:
    sub, get, first = await one_on_its_way()
    await asyncio.sleep(0)
    assert not get.done()
    get.cancel()
    sub.landed(first, True)
    assert sub.last == 1 and (await asyncio.wait_for(sub.get(), 1)).seq == 2
