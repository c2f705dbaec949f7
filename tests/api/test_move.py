"""The board's manual order: ranks, moveTask, and RANK order."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from tests.api.helpers import (
    activity,
    add_member,
    board_seqs,
    codes,
    create_task,
    new_board,
    runtime_of,
    update_task,
)
from tests.conftest import Api

MOVE = """mutation($id: ID!, $i: MoveTaskInput!) { moveTask(id: $id, input: $i) { id status rank version } }"""
COLUMN = """query($b: ID!, $s: [TaskStatus!], $first: Int, $after: String) { board(id: $b) {
  tasks(filter: {status: $s}, orderBy: {field: RANK}, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor } edges { node { id title rank version status } } } } }"""


async def column(api: Api, user: dict[str, Any], board: str, status: str = "TODO") -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await api.ok(COLUMN, {"b": board, "s": [status], "first": 2, "after": after},
                             user["token"]))["board"]["tasks"]
        out += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def titles(tasks: list[dict[str, Any]]) -> list[str]:
    return [t["title"] for t in tasks]


async def move(api: Api, user: dict[str, Any], task: dict[str, Any], status: str = "TODO",
               **where: Any) -> dict[str, Any]:
    return await api.gql(MOVE, {"id": task["id"], "i": {"status": status, **where}}, user["token"])


async def _board(api: Api, n: int = 4) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    owner = await api.signup("Mover")
    board = await new_board(api, owner)
    tasks = [await create_task(api, owner, board, f"t{i}") for i in range(n)]
    return owner, board, tasks


async def test_new_tasks_go_to_the_end_of_their_column_and_rank_orders_pages(api: Api) -> None:
    owner, board, tasks = await _board(api, 5)
    col = await column(api, owner, board)
    assert titles(col) == ["t0", "t1", "t2", "t3", "t4"]
    assert [t["rank"] for t in col] == sorted({t["rank"] for t in col})
    # A status change through updateTask puts the task at the end of its new column.
    await create_task(api, owner, board, "done0", status="DONE")
    body = await update_task(api, owner, tasks[0]["id"], status="DONE")
    assert "errors" not in body, body
    assert titles(await column(api, owner, board, "DONE")) == ["done0", "t0"]


async def test_a_move_writes_one_row_and_records_one_event(api: Api) -> None:
    owner, board, (t0, t1, t2, t3) = await _board(api)
    seqs = await board_seqs(api, board)
    moved = (await move(api, owner, t3, afterTaskId=t0["id"], beforeTaskId=t1["id"]))["data"]["moveTask"]
    assert moved["version"] == 2 and moved["status"] == "TODO"
    col = await column(api, owner, board)
    assert titles(col) == ["t0", "t3", "t1", "t2"]
    assert [t["version"] for t in col] == [1, 2, 1, 1]  # nobody else was touched
    assert await board_seqs(api, board) == [*seqs, seqs[-1] + 1]
    (entry,) = (await activity(api, owner, board))[:1]
    assert entry["kind"] == "TASK_MOVED" and entry["taskId"] == t3["id"]
    assert entry["message"].startswith(f"Supervisor {owner['email']} Moved Task t3 at ")

    # Only one neighbour, or none: right after it, right before it, the end.
    await move(api, owner, t0, afterTaskId=t2["id"])
    assert titles(await column(api, owner, board)) == ["t3", "t1", "t2", "t0"]
    await move(api, owner, t0, beforeTaskId=t3["id"])
    assert titles(await column(api, owner, board)) == ["t0", "t3", "t1", "t2"]
    await move(api, owner, t3)
    assert titles(await column(api, owner, board)) == ["t0", "t1", "t2", "t3"]
    # Where it already is: no change, no event.
    seqs = await board_seqs(api, board)
    same = (await move(api, owner, t3, afterTaskId=t2["id"]))["data"]["moveTask"]
    assert same["version"] == 3 and await board_seqs(api, board) == seqs


async def test_a_move_to_another_column_is_a_status_change(api: Api) -> None:
    owner, board, (_, t1, t2, _) = await _board(api)
    done = await create_task(api, owner, board, "d0", status="DONE")
    moved = (await move(api, owner, t1, "DONE", beforeTaskId=done["id"]))["data"]["moveTask"]
    assert moved["status"] == "DONE" and moved["version"] == 2
    assert titles(await column(api, owner, board, "DONE")) == ["t1", "d0"]
    assert titles(await column(api, owner, board)) == ["t0", "t2", "t3"]
    entry = (await activity(api, owner, board))[0]
    assert entry["kind"] == "TASK_STATUS_CHANGED"
    assert entry["changes"]["status"] == {"from": "TODO", "to": "DONE"}
    # Into an empty column, with no neighbours.
    assert (await move(api, owner, t2, "IN_REVIEW"))["data"]["moveTask"]["status"] == "IN_REVIEW"
    assert titles(await column(api, owner, board, "IN_REVIEW")) == ["t2"]


async def test_neighbours_must_be_in_the_target_column(api: Api) -> None:
    owner, board, (t0, t1, _, _) = await _board(api)
    done = await create_task(api, owner, board, "d0", status="DONE")
    other = await create_task(api, owner, await new_board(api, owner, "Other"), "elsewhere")
    seqs = await board_seqs(api, board)
    for where in ({"afterTaskId": done["id"]}, {"beforeTaskId": done["id"]}, {"afterTaskId": t0["id"]},
                  {"afterTaskId": other["id"]}, {"beforeTaskId": "tsk_nope"}):
        assert codes(await move(api, owner, t0, **where)) == ["BAD_USER_INPUT"], where
    assert codes(await move(api, owner, t1, "DONE", afterTaskId=t0["id"])) == ["BAD_USER_INPUT"]
    assert await board_seqs(api, board) == seqs


async def test_versions_and_who_may_move(api: Api) -> None:
    owner, board, (t0, t1, t2, t3) = await _board(api)
    member, outsider = await api.signup("Member"), await api.signup("Outsider")
    await add_member(api, owner, board, member)
    assert codes(await move(api, outsider, t0, afterTaskId=t1["id"])) == ["NOT_FOUND"]
    assert codes(await move(api, member, t0, afterTaskId=t1["id"])) == ["FORBIDDEN"]
    assert codes(await move(api, owner, t0, afterTaskId=t1["id"], expectedVersion=5)) == ["CONFLICT"]
    mine = await create_task(api, member, board, "mine")
    assert (await move(api, member, mine, beforeTaskId=t0["id"], expectedVersion=1))["data"]["moveTask"]
    # A neighbour that moved since the client read the board is not a conflict.
    await move(api, owner, t1, afterTaskId=t3["id"])
    assert titles(await column(api, owner, board)) == ["mine", "t0", "t2", "t3", "t1"]
    body = await move(api, owner, t0, afterTaskId=t1["id"], beforeTaskId=t2["id"])
    assert "errors" not in body, body
    assert titles(await column(api, owner, board)) == ["mine", "t2", "t3", "t1", "t0"]


async def test_concurrent_moves_into_one_gap_both_succeed_in_a_deterministic_order(api: Api) -> None:
    owner, board, (t0, t1, t2, t3) = await _board(api)
    bodies = await asyncio.gather(move(api, owner, t2, afterTaskId=t0["id"], beforeTaskId=t1["id"]),
                                  move(api, owner, t3, afterTaskId=t0["id"], beforeTaskId=t1["id"]))
    assert all("errors" not in b for b in bodies), bodies
    r2, r3 = (b["data"]["moveTask"] for b in bodies)
    assert r2["rank"] == r3["rank"]  # one gap, one key: ordered by id
    expected = ["t0", *(t["title"] for t in sorted((t2, t3), key=lambda t: t["id"])), "t1"]
    assert titles(await column(api, owner, board)) == expected

    # No key fits between equal keys: the column gets fresh ones, one event per task moved.
    first, second = sorted((t2, t3), key=lambda t: t["id"])
    seqs = await board_seqs(api, board)
    body = await move(api, owner, t1, afterTaskId=first["id"], beforeTaskId=second["id"])
    assert "errors" not in body, body
    col = await column(api, owner, board)
    assert titles(col) == ["t0", first["title"], "t1", second["title"]]
    assert len({t["rank"] for t in col}) == 4
    new = (await board_seqs(api, board))[len(seqs):]
    changed = (await activity(api, owner, board))[: len(new)]
    # t0 kept its key; the two that shared one got new keys; then the move itself.
    assert len(new) == 3 and all(e["kind"] == "TASK_MOVED" for e in changed)
    assert changed[0]["taskId"] == t1["id"] and {e["taskId"] for e in changed[1:]} == {t2["id"], t3["id"]}


async def test_keys_grown_long_are_rebalanced(api: Api) -> None:
    owner, board, (t0, t1, t2) = await _board(api, 3)
    # As if hundreds of drops into one gap had happened: keys 49 characters long.
    long0, long1 = "a0" + "V" * 46 + "1", "a0" + "V" * 46 + "2"
    async with runtime_of(api.app).engine.begin() as conn:
        for task, key in ((t0, long0), (t1, long1)):
            await conn.execute(text("UPDATE tasks SET `rank` = :r WHERE id = :i"), {"r": key, "i": task["id"]})
    body = await move(api, owner, t2, afterTaskId=t0["id"], beforeTaskId=t1["id"])
    assert "errors" not in body, body
    col = await column(api, owner, board)
    assert titles(col) == ["t0", "t2", "t1"]
    assert max(len(t["rank"]) for t in col) <= 3
