"""Concurrent writers over one ASGI app: optimistic versions and gap-free seqs.
Runs on both backends; the point is MySQL (row locks instead of SQLite's single writer)."""

from __future__ import annotations

import asyncio
import itertools

from tests.api.helpers import (
    CREATE_TASK,
    UPDATE_TASK,
    activity,
    add_member,
    board_seqs,
    codes,
    create_task,
    get_task,
    new_board,
)
from tests.conftest import Api


async def test_two_updates_at_the_same_expected_version_one_wins(api: Api) -> None:
    owner = await api.signup("Race")
    mate = await api.signup("Mate")
    board = await new_board(api, owner)
    await add_member(api, owner, board, mate)
    task = await create_task(api, owner, board, "Contested", assigneeId=mate["id"])
    for _ in range(3):  # a few rounds: a lucky interleaving should not pass by accident
        current = await get_task(api, owner, task["id"])
        assert current is not None
        v = current["version"]
        a, b = await asyncio.gather(
            api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": f"by owner {v}", "expectedVersion": v}},
                    owner["token"]),
            api.gql(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE" if v % 2 else "TODO",
                                                            "title": f"by mate {v}", "expectedVersion": v}},
                    mate["token"]),
        )
        outcomes = sorted([tuple(codes(a)), tuple(codes(b))])
        assert outcomes == [(), ("CONFLICT",)], (a, b)
        winner = a if not codes(a) else b
        assert winner["data"]["updateTask"]["version"] == v + 1
        after = await get_task(api, owner, task["id"])
        assert after is not None and after["version"] == v + 1
        assert after["title"] == winner["data"]["updateTask"]["title"]
    assert await board_seqs(api, board) == list(range(1, 1 + 1 + 1 + 3))  # member added, created, 3 wins
    assert len(await activity(api, owner, board)) == 5


async def test_twenty_concurrent_updates_all_commit_with_gap_free_seqs(api: Api) -> None:
    owner = await api.signup("Many")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Hot")
    results = await asyncio.gather(*(
        api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": f"title {i}"}}, owner["token"]) for i in range(20)
    ))
    for r in results:
        assert "errors" not in r, r
    versions = sorted(r["data"]["updateTask"]["version"] for r in results)
    assert versions == list(range(2, 22))
    final = await get_task(api, owner, task["id"])
    assert final is not None and final["version"] == 21
    # the last committed title is the one that got version 21
    assert final["title"] == next(r["data"]["updateTask"]["title"] for r in results
                                  if r["data"]["updateTask"]["version"] == 21)
    assert await board_seqs(api, board) == list(range(1, 22))
    entries = await activity(api, owner, board)
    assert len(entries) == 21 and len({e["id"] for e in entries}) == 21
    # newest first, and the newest entry is the final title
    assert entries[0]["changes"]["title"]["to"] == final["title"]
    # each update's "from" is the previous commit's "to": a chain with no lost update
    chain = [e["changes"]["title"] for e in reversed(entries[:-1])]
    assert chain[0]["from"] == "Hot"
    for prev, nxt in itertools.pairwise(chain):
        assert nxt["from"] == prev["to"]


async def test_concurrent_creates_get_gap_free_seqs(api: Api) -> None:
    owner = await api.signup("Creator")
    mates = [await api.signup(f"Mate{i}") for i in range(3)]
    board = await new_board(api, owner)
    for m in mates:
        await add_member(api, owner, board, m)
    people = [owner, *mates]
    results = await asyncio.gather(*(
        api.gql(CREATE_TASK, {"i": {"boardId": board, "title": f"task {i}"}}, people[i % 4]["token"])
        for i in range(20)
    ))
    for r in results:
        assert "errors" not in r, r
    ids = {r["data"]["createTask"]["id"] for r in results}
    assert len(ids) == 20
    assert await board_seqs(api, board) == list(range(1, 3 + 20 + 1))
    count = await api.ok("query($id: ID!) { board(id: $id) { tasks { totalCount } } }", {"id": board},
                         owner["token"])
    assert count["board"]["tasks"]["totalCount"] == 20
    created = [e for e in await activity(api, owner, board) if e["kind"] == "TASK_CREATED"]
    assert {e["taskId"] for e in created} == ids


async def test_concurrent_changes_on_two_boards_keep_their_own_sequences(api: Api) -> None:
    owner = await api.signup("Two")
    b1, b2 = await new_board(api, owner, "one"), await new_board(api, owner, "two")
    t1 = await create_task(api, owner, b1, "x")
    t2 = await create_task(api, owner, b2, "y")
    await asyncio.gather(*(
        api.ok(UPDATE_TASK, {"id": t["id"], "i": {"title": f"{t['title']} {i}"}}, owner["token"])
        for i in range(8) for t in (t1, t2)
    ))
    assert await board_seqs(api, b1) == list(range(1, 10))
    assert await board_seqs(api, b2) == list(range(1, 10))
