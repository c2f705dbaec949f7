"""What a live render is keyed on (taskboard/live_render.py): the variables that shape
the selection, never boardEvents' own arguments."""

from __future__ import annotations

import asyncio

from graphql import parse

from taskboard.live_render import EventRenderer, selection_key, selection_variables

QUERY = ("subscription($b: ID!, $s: Int, $full: Boolean!) { boardEvents(boardId: $b, afterSeq: $s) "
         "{ seq task @include(if: $full) { title } } }")


def test_board_events_arguments_do_not_shape_the_render() -> None:
    doc = parse(QUERY)
    assert selection_variables(doc) == {"full"}
    one = selection_key(doc, QUERY, None, {"b": "brd_1", "s": 0, "full": True}, "usr_a")
    other = selection_key(doc, QUERY, None, {"b": "brd_1", "s": 41, "full": True}, "usr_b")
    assert one == other
    assert selection_key(doc, QUERY, None, {"b": "brd_1", "s": 0, "full": False}, "usr_a") != one


def test_a_variable_used_in_a_fragment_or_also_elsewhere_counts() -> None:
    query = ("subscription($b: ID!, $n: Boolean!) { boardEvents(boardId: $b) { ...F } } "
             "fragment F on BoardEvent { seq task @skip(if: $n) { title } }")
    assert selection_variables(parse(query)) == {"n"}
    both = "subscription($b: ID!) { boardEvents(boardId: $b) { seq boardId @include(if: $b) } }"
    assert selection_variables(parse(both)) == {"b"}


def test_viewer_counts_only_for_viewer_specific_selections() -> None:
    query = "subscription($b: ID!) { boardEvents(boardId: $b) { task { board { viewerRole } } } }"
    doc = parse(query)
    assert selection_key(doc, query, None, {"b": "x"}, "usr_a") != selection_key(doc, query, None, {"b": "x"}, "usr_b")


async def test_a_render_cancelled_from_outside_is_done_again_for_its_waiters() -> None:
    """Only shutdown cancels a render task; a subscriber still waiting renders anew."""
    renderer = EventRenderer()
    gate = asyncio.Event()
    calls = 0

    async def produce() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()
        return "payload"

    waiter = asyncio.create_task(renderer.render(("k",), produce))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    renderer._cache[("k",)].cancel()  # the render task itself, as shutdown does
    assert await asyncio.wait_for(waiter, 2) == "payload"
    assert calls == 2 and renderer.cached(("k",)) == "payload"


async def test_waiters_share_one_render_and_one_cancelled_leaves_the_others_theirs() -> None:
    renderer = EventRenderer()
    release = asyncio.Event()
    calls = 0

    async def produce() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "payload"

    waiters = [asyncio.create_task(renderer.render(("k",), produce)) for _ in range(5)]
    await asyncio.sleep(0.01)
    waiters[0].cancel()  # its client completed while the render ran
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(*waiters[1:]) == ["payload"] * 4
    assert waiters[0].cancelled() and calls == 1 and not renderer._gates


async def test_a_failed_render_reaches_every_waiter_and_is_not_kept() -> None:
    renderer = EventRenderer()

    async def produce() -> str:
        await asyncio.sleep(0.01)
        raise RuntimeError("boom")

    results = await asyncio.gather(*(renderer.render(("k",), produce) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert renderer.cached(("k",)) is None and not renderer._gates
