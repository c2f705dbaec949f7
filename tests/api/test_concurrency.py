"""Concurrent writers over one ASGI app: optimistic versions and gap-free seqs.
Runs on both backends; the point is MySQL (row locks instead of SQLite's single writer)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import delete, update

from resolvers import tasks as tasks_resolvers
from resolvers.records import tasks_t
from tests.api.helpers import (
    CREATE_TASK,
    DELETE_TASK,
    GET_TASK,
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


# A change reads the task before it takes the board's lock (resolvers/tasks.py,
# `_begin_change`).  These tests put another change exactly between the two, in
# the change's own transaction: the interleaving the concurrent tests above reach
# by chance on MySQL, made certain here, on both backends.  (A refused change rolls
# its transaction back, the change put in between with it.)

Intervention = Callable[[Any], Awaitable[None]]


@pytest.fixture
def between_read_and_lock(monkeypatch: pytest.MonkeyPatch) -> Callable[[Intervention], None]:
    def arm(intervene: Intervention) -> None:
        real = tasks_resolvers.locked_board_for

        async def lock_after(uow: Any, board_id: str, viewer_id: str) -> Any:
            monkeypatch.setattr(tasks_resolvers, "locked_board_for", real)  # once
            await intervene(uow.conn)
            return await real(uow, board_id, viewer_id)

        monkeypatch.setattr(tasks_resolvers, "locked_board_for", lock_after)
    return arm


def _set(task_id: str, **values: Any) -> Intervention:
    """Another change of the task: its columns set and its version moved on."""
    async def run(conn: Any) -> None:
        await conn.execute(update(tasks_t).where(tasks_t.c.id == task_id)
                           .values(version=tasks_t.c.version + 1, **values))
    return run


async def test_a_change_in_between_is_kept_and_the_update_planned_again(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Planner")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "First title")
    between_read_and_lock(_set(task["id"], title="Retitled meanwhile"))
    body = await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE"}}, owner["token"])
    updated = body["updateTask"]
    assert (updated["title"], updated["status"], updated["version"]) == ("Retitled meanwhile", "DONE", 3)
    assert await get_task(api, owner, task["id"]) == updated
    entry = (await activity(api, owner, board))[0]
    assert entry["changes"] == {"status": {"from": "TODO", "to": "DONE"}}
    assert await board_seqs(api, board) == [1, 2]


async def test_a_title_change_in_between_is_the_from_of_the_next(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Chain")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "A")
    between_read_and_lock(_set(task["id"], title="B"))
    updated = (await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"title": "C"}}, owner["token"]))["updateTask"]
    assert (updated["title"], updated["version"]) == ("C", 3)
    assert (await activity(api, owner, board))[0]["changes"] == {"title": {"from": "B", "to": "C"}}


async def test_an_update_made_moot_in_between_changes_nothing(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Moot")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Already")
    between_read_and_lock(_set(task["id"], status="DONE"))
    updated = (await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE"}}, owner["token"]))["updateTask"]
    assert (updated["status"], updated["version"]) == ("DONE", 2)
    assert await board_seqs(api, board) == [1]  # the create only: no event for a change that changed nothing


async def test_the_expected_version_is_checked_against_the_task_under_the_lock(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Versions")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Versioned")
    between_read_and_lock(_set(task["id"], title="Newer"))
    body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE", "expectedVersion": 1}},
                         owner["token"])
    assert codes(body) == ["CONFLICT"]
    assert body["errors"][0]["extensions"]["currentVersion"] == 2
    current = await get_task(api, owner, task["id"])
    assert current is not None and (current["status"], current["version"]) == ("TODO", 1)
    assert await board_seqs(api, board) == [1]


async def test_who_may_edit_is_decided_on_the_task_under_the_lock(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Boss")
    mate = await api.signup("Worker")
    board = await new_board(api, owner)
    await add_member(api, owner, board, mate)
    task = await create_task(api, owner, board, "Reassigned", assigneeId=mate["id"])
    between_read_and_lock(_set(task["id"], assignee_id=None))  # the mate is no longer its assignee
    body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE"}}, mate["token"])
    assert codes(body) == ["FORBIDDEN"]
    current = await get_task(api, owner, task["id"])
    assert current is not None and (current["status"], current["version"]) == ("TODO", 1)
    assert await board_seqs(api, board) == [1, 2]  # the member added, the task created


async def test_a_task_deleted_in_between_is_not_found(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Gone")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Doomed")

    async def delete_it(conn: Any) -> None:
        await conn.execute(delete(tasks_t).where(tasks_t.c.id == task["id"]))

    between_read_and_lock(delete_it)
    body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE"}}, owner["token"])
    assert codes(body) == ["NOT_FOUND"]
    current = await get_task(api, owner, task["id"])
    assert current is not None and current["status"] == "TODO"
    assert await board_seqs(api, board) == [1]


async def test_a_delete_after_a_change_in_between_reports_the_task_as_it_was_deleted(
        api: Api, between_read_and_lock: Callable[[Intervention], None]) -> None:
    owner = await api.signup("Deleter")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Old name")
    between_read_and_lock(_set(task["id"], title="Last name"))
    assert (await api.ok(DELETE_TASK, {"id": task["id"]}, owner["token"]))["deleteTask"] == task["id"]
    assert codes(await api.gql(GET_TASK, {"id": task["id"]}, owner["token"])) == ["NOT_FOUND"]
    entry = (await activity(api, owner, board))[0]
    assert entry["kind"] == "TASK_DELETED" and "Last name" in entry["message"]
    assert await board_seqs(api, board) == [1, 2]


async def test_a_change_that_changes_nothing_or_is_refused_takes_no_lock(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = await api.signup("Idle")
    mate = await api.signup("Onlooker")
    board = await new_board(api, owner)
    await add_member(api, owner, board, mate)
    task = await create_task(api, owner, board, "Still", status="DONE")

    async def no_lock(*_: Any) -> Any:
        raise AssertionError("the board was locked")

    monkeypatch.setattr(tasks_resolvers, "locked_board_for", no_lock)
    same = (await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE", "title": "Still"}},
                         owner["token"]))["updateTask"]
    assert same == task
    assert codes(await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": "x", "expectedVersion": 7}},
                               owner["token"])) == ["CONFLICT"]
    assert codes(await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": "x"}}, mate["token"])) == ["FORBIDDEN"]
    assert codes(await api.gql(DELETE_TASK, {"id": task["id"]}, mate["token"])) == ["FORBIDDEN"]
    assert await board_seqs(api, board) == [1, 2]
