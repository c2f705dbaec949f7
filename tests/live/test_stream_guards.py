"""boardEvents refuses what it cannot serve honestly: an afterSeq ahead of the board, a
replay whose start was pruned (RELOAD), a removed member; and masks its own faults."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import delete, insert, select

from models.db import make_engine
from models.tables import Board, BoardEventRow
from tests.live.conftest import LiveServer, events, next_message, subscribe
from tests.live.test_delivery import ADD, CREATE, REMOVE, board_with

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]
boards_t = Board.__table__  # type: ignore[attr-defined]


async def _error_of(ws: Any, op_id: str) -> dict[str, Any]:
    msg = await next_message(ws)
    assert msg["id"] == op_id and msg["type"] == "error", msg
    error: dict[str, Any] = msg["payload"][0]
    return error


async def _still_open(ws: Any) -> None:
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_message(ws))["type"] == "pong"


async def test_after_seq_above_last_seq_is_bad_input(live: LiveServer) -> None:
    """A member could subscribe far ahead, be removed, and keep the stream: events up to
    afterSeq were skipped without looking at them."""
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    await live.api.ok(ADD, {"b": board["id"], "e": bob["email"]}, owner["token"])
    ws = await live.socket(bob["token"])
    await subscribe(ws, "ahead", board["id"], after_seq=2)
    error = await _error_of(ws, "ahead")
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "reason" not in error["extensions"]
    await subscribe(ws, "exact", board["id"], after_seq=1)  # lastSeq itself is fine
    await live.api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, owner["token"])
    (removed,) = await events(ws, 1)
    assert removed["kind"] == "MEMBER_REMOVED" and removed["seq"] == 2
    assert (await _error_of(ws, "exact"))["extensions"]["code"] == "NOT_FOUND"
    await live.api.ok(CREATE, {"b": board["id"], "t": "not for bob"}, owner["token"])
    await _still_open(ws)


async def test_removal_in_the_replay_ends_the_stream(live: LiveServer) -> None:
    board, (owner, bob, carol) = await board_with(live, "Owner", "Bob", "Carol")
    api, t = live.api, owner["token"]
    await api.ok(ADD, {"b": board["id"], "e": bob["email"]}, t)
    ws = await live.socket(bob["token"])
    await subscribe(ws, "b", board["id"], after_seq=0)
    (added,) = await events(ws, 1)
    assert added["seq"] == 1
    await api.ok(ADD, {"b": board["id"], "e": carol["email"]}, t)
    await api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, t)
    await api.ok(CREATE, {"b": board["id"], "t": "after bob"}, t)
    got = await events(ws, 2)
    assert [e["kind"] for e in got] == ["MEMBER_ADDED", "MEMBER_REMOVED"]
    assert (await _error_of(ws, "b"))["extensions"]["code"] == "NOT_FOUND"
    await _still_open(ws)


async def test_member_added_again_replays_history_past_the_old_removal(live: LiveServer) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    api, t = live.api, owner["token"]
    await api.ok(ADD, {"b": board["id"], "e": bob["email"]}, t)
    await api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, t)
    await api.ok(ADD, {"b": board["id"], "e": bob["email"]}, t)
    await api.ok(CREATE, {"b": board["id"], "t": "welcome back"}, t)
    ws = await live.socket(bob["token"])
    await subscribe(ws, "h", board["id"], after_seq=0)
    got = await events(ws, 4)
    assert [e["kind"] for e in got] == ["MEMBER_ADDED", "MEMBER_REMOVED", "MEMBER_ADDED", "TASK_CREATED"]
    # Still live, and a new removal still ends it.
    await api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, t)
    (removed,) = await events(ws, 1)
    assert removed["seq"] == 5 and removed["member"]["user"]["id"] == bob["id"]
    assert (await _error_of(ws, "h"))["extensions"]["code"] == "NOT_FOUND"


async def _delete_events(database_url: str, board_id: str, upto: int) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(delete(events_t).where(events_t.c.board_id == board_id, events_t.c.seq <= upto))
    finally:
        await engine.dispose()


async def test_after_seq_older_than_what_is_kept_asks_for_a_reload(live: LiveServer, database_url: str) -> None:
    board, (owner,) = await board_with(live, "Owner")
    for i in range(5):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"t{i}"}, owner["token"])
    await _delete_events(database_url, board["id"], upto=3)  # as the retention prune does
    ws = await live.socket(owner["token"])
    for op_id, after in (("zero", 0), ("two", 2)):
        await subscribe(ws, op_id, board["id"], after_seq=after)
        error = await _error_of(ws, op_id)
        assert (error["extensions"]["code"], error["extensions"].get("reason")) == ("BAD_USER_INPUT", "RELOAD"), error
    await subscribe(ws, "kept", board["id"], after_seq=3)  # the first kept event follows it
    assert [e["seq"] for e in await events(ws, 2)] == [4, 5]


async def test_everything_pruned_asks_for_a_reload_too(live: LiveServer, database_url: str) -> None:
    board, (owner,) = await board_with(live, "Owner")
    for i in range(2):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"t{i}"}, owner["token"])
    await _delete_events(database_url, board["id"], upto=2)
    ws = await live.socket(owner["token"])
    await subscribe(ws, "old", board["id"], after_seq=1)
    assert (await _error_of(ws, "old"))["extensions"].get("reason") == "RELOAD"
    await subscribe(ws, "now", board["id"], after_seq=2)  # up to date: nothing to replay, fine
    await live.api.ok(CREATE, {"b": board["id"], "t": "new"}, owner["token"])
    assert [e["seq"] for e in await events(ws, 1)] == [3]


async def test_an_internal_fault_in_the_stream_is_masked(live: LiveServer, database_url: str) -> None:
    """A row the stream cannot read (here: a kind this version does not know) is the
    server's fault: logged, and shown as INTERNAL_SERVER_ERROR without its details."""
    board, (owner,) = await board_with(live, "Owner")
    await live.api.ok(CREATE, {"b": board["id"], "t": "t"}, owner["token"])
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            row = (await conn.execute(select(events_t).where(events_t.c.board_id == board["id"]))).mappings().one()
            await conn.execute(insert(events_t).values({**row, "id": str(uuid.uuid4()), "seq": 2,
                                                        "kind": "NOT_A_KIND"}))
            await conn.execute(boards_t.update().where(boards_t.c.id == board["id"]).values(event_seq=2))
    finally:
        await engine.dispose()
    ws = await live.socket(owner["token"])
    await subscribe(ws, "x", board["id"], after_seq=1)
    error = await _error_of(ws, "x")
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR", error
    assert error["message"] == "Internal server error" and "NOT_A_KIND" not in json.dumps(error)
    await _still_open(ws)
