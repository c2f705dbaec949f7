"""A committed change reaches live subscribers even when the unit of work fails or is
cancelled after its commit, and a push lost anyway is caught up by the seq check."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.db import make_engine
from models.tables import Board, BoardEventRow
from tests.conftest import test_settings
from tests.live.conftest import LiveServer, events, next_message, serve, subscribe
from tests.live.test_delivery import CREATE, board_with

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]
boards_t = Board.__table__  # type: ignore[attr-defined]


def after_commit_close(monkeypatch: pytest.MonkeyPatch, fault: Callable[[], Awaitable[None]]) -> None:
    """A unit of work's connection runs `fault` after its close (the commit has happened
    by then, and the connection is back in the pool); other connections close as usual."""
    real_close = AsyncConnection.close

    async def close(self: AsyncConnection) -> None:
        sync = self.sync_connection
        writer = sync is not None and bool(sync.get_execution_options().get("write"))
        await real_close(self)
        if writer:
            await fault()

    monkeypatch.setattr(AsyncConnection, "close", close)


async def test_close_failure_after_commit_still_pushes(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    board, (owner,) = await board_with(live, "Owner")
    ws = await live.socket(owner["token"])
    await subscribe(ws, "s", board["id"], after_seq=0)

    async def broken() -> None:
        raise ConnectionResetError("the server went away while closing")

    after_commit_close(monkeypatch, broken)
    await live.api.gql(CREATE, {"b": board["id"], "t": "committed"}, owner["token"])
    (ev,) = await events(ws, 1, timeout=3)
    assert ev["seq"] == 1 and ev["task"]["title"] == "committed"


async def test_ws_mutation_cancelled_after_commit_still_pushes(
        live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    board, (owner,) = await board_with(live, "Owner")
    watcher = await live.socket(owner["token"])
    await subscribe(watcher, "s", board["id"], after_seq=0)
    closing = asyncio.Event()

    async def slow() -> None:
        closing.set()
        await asyncio.sleep(5)

    after_commit_close(monkeypatch, slow)
    writer = await live.socket(owner["token"])
    await writer.send(json.dumps({"id": "m", "type": "subscribe", "payload": {
        "query": CREATE, "variables": {"b": board["id"], "t": "committed"}}}))
    await asyncio.wait_for(closing.wait(), 5)
    await writer.send(json.dumps({"id": "m", "type": "complete"}))  # cancels the mutation's task
    (ev,) = await events(watcher, 1, timeout=3)
    assert ev["seq"] == 1 and ev["task"]["title"] == "committed"


async def _commit_without_publishing(database_url: str, board_id: str) -> None:
    """A change another process committed whose push never came (the copy of the
    board's first event as its next one)."""
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            row = (await conn.execute(select(events_t).where(events_t.c.board_id == board_id))).mappings().one()
            seq: int = row["seq"] + 1
            payload: dict[str, Any] = {**row["payload"], "seq": seq}
            await conn.execute(insert(events_t).values({**row, "id": str(uuid.uuid4()), "seq": seq,
                                                        "payload": payload}))
            await conn.execute(boards_t.update().where(boards_t.c.id == board_id).values(event_seq=seq))
    finally:
        await engine.dispose()


async def test_a_lost_push_is_caught_up_by_the_seq_check(database_url: str) -> None:
    async with serve(test_settings(database_url, live_seq_check_interval=0.3)) as live:
        board, (owner,) = await board_with(live, "Owner")
        ws = await live.socket(owner["token"])
        await subscribe(ws, "s", board["id"], after_seq=0)
        await live.api.ok(CREATE, {"b": board["id"], "t": "pushed"}, owner["token"])
        assert [e["seq"] for e in await events(ws, 1)] == [1]
        await _commit_without_publishing(database_url, board["id"])
        (ev,) = await events(ws, 1, timeout=3)
        assert ev["seq"] == 2 and ev["task"]["title"] == "pushed"


async def test_without_the_seq_check_a_lost_push_waits(live: LiveServer, database_url: str) -> None:
    """The check above is what catches up (the default interval is long)."""
    board, (owner,) = await board_with(live, "Owner")
    ws = await live.socket(owner["token"])
    await subscribe(ws, "s", board["id"], after_seq=0)
    await live.api.ok(CREATE, {"b": board["id"], "t": "pushed"}, owner["token"])
    assert [e["seq"] for e in await events(ws, 1)] == [1]
    await _commit_without_publishing(database_url, board["id"])
    with pytest.raises(TimeoutError):
        await next_message(ws, timeout=1)
