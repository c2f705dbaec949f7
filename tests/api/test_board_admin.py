"""renameBoard (any member) and deleteBoard (owners): each a change of the board;
a deleted board, its tasks and labels are gone for everyone, its events stay."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from tests.api.helpers import (
    GET_TASK,
    ISO_MS,
    activity,
    add_member,
    board_seqs,
    codes,
    create_task,
    new_board,
    runtime_of,
)
from tests.api.test_labels import NODE, TASK_LABELS, label
from tests.conftest import Api

RENAME = "mutation($id: ID!, $n: String!) { renameBoard(id: $id, name: $n) { id name viewerRole lastSeq } }"
DELETE = "mutation($id: ID!) { deleteBoard(id: $id) }"
BOARD = "query($id: ID!) { board(id: $id) { id name } }"
BOARDS = "{ boards { id } }"
MY_TASKS = "{ myTasks { totalCount edges { node { id } } } }"


async def test_a_member_renames_the_board_once_per_change(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner, "Old")
    await add_member(api, owner, board, member)
    data = await api.ok(RENAME, {"id": board, "n": "  New name  "}, member["token"])
    assert data["renameBoard"] == {"id": board, "name": "New name", "viewerRole": "MEMBER", "lastSeq": 2}
    assert (await api.ok(BOARD, {"id": board}, owner["token"]))["board"]["name"] == "New name"
    # the same name again changes nothing
    assert (await api.ok(RENAME, {"id": board, "n": "New name"}, owner["token"]))["renameBoard"]["lastSeq"] == 2
    assert await board_seqs(api, board) == [1, 2]
    entry = (await activity(api, owner, board))[0]
    assert entry["kind"] == "BOARD_RENAMED" and entry["taskId"] is None
    assert entry["changes"] == {"name": {"from": "Old", "to": "New name"}}
    assert re.match(rf"^Member {re.escape(member['email'])} Renamed Board Old to New name at {ISO_MS}$",
                    entry["message"])
    async with runtime_of(api.app).engine.connect() as conn:
        payload = (await conn.execute(text("SELECT payload FROM board_events WHERE board_id = :b AND seq = 2"),
                                      {"b": board})).scalar_one()
    detail = payload if isinstance(payload, dict) else json.loads(payload)
    assert detail["boardName"] == "New name" and detail["detailType"] == "BoardRenamed"


async def test_rename_refuses_bad_names_and_non_members(api: Api) -> None:
    owner, outsider = await api.signup("Owner"), await api.signup("Out")
    board = await new_board(api, owner, "Keep")
    for bad in ("", "   ", "x" * 201):
        assert codes(await api.gql(RENAME, {"id": board, "n": bad}, owner["token"])) == ["BAD_USER_INPUT"]
    assert codes(await api.gql(RENAME, {"id": board, "n": "Mine"}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(RENAME, {"id": "brd_nonsense", "n": "Mine"}, owner["token"])) == ["NOT_FOUND"]
    assert (await api.ok(BOARD, {"id": board}, owner["token"]))["board"]["name"] == "Keep"
    assert await board_seqs(api, board) == []


async def test_only_owners_delete_and_non_members_see_nothing(api: Api) -> None:
    owner, member, outsider = await api.signup("Owner"), await api.signup("Member"), await api.signup("Out")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    assert codes(await api.gql(DELETE, {"id": board}, member["token"])) == ["FORBIDDEN"]
    assert codes(await api.gql(DELETE, {"id": board}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(DELETE, {"id": board})) == ["UNAUTHENTICATED"]
    assert (await api.ok(BOARD, {"id": board}, member["token"]))["board"]["id"] == board
    assert await board_seqs(api, board) == [1]


async def test_deleting_a_board_deletes_its_tasks_and_labels_and_keeps_its_events(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board, other = await new_board(api, owner, "Doomed"), await new_board(api, owner, "Stays")
    await add_member(api, owner, board, member)
    bug = await label(api, owner, board, "Bug")
    task = await create_task(api, owner, board, "t", assigneeId=member["id"], labelIds=[bug["id"]])
    kept = await create_task(api, owner, other, "kept")
    seqs = await board_seqs(api, board)

    assert (await api.ok(DELETE, {"id": board}, owner["token"]))["deleteBoard"] == board

    for user in (owner, member):
        t = user["token"]
        assert codes(await api.gql(BOARD, {"id": board}, t)) == ["NOT_FOUND"]
        assert codes(await api.gql(GET_TASK, {"id": task["id"]}, t)) == ["NOT_FOUND"]
        assert codes(await api.gql(NODE, {"id": bug["id"]}, t)) == ["NOT_FOUND"]
        assert board not in [b["id"] for b in (await api.ok(BOARDS, token=t))["boards"]]
    assert (await api.ok(MY_TASKS, token=member["token"]))["myTasks"]["totalCount"] == 0
    assert codes(await api.gql(DELETE, {"id": board}, owner["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(RENAME, {"id": board, "n": "Back"}, owner["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                               {"i": {"boardId": board, "title": "late"}}, owner["token"])) == ["NOT_FOUND"]
    # the other board is untouched
    assert (await api.ok(TASK_LABELS, {"id": kept["id"]}, owner["token"]))["task"]["version"] == 1

    # the history stays, ending with BOARD_DELETED (outbox, replay and the local log)
    assert await board_seqs(api, board) == [*seqs, seqs[-1] + 1]
    async with runtime_of(api.app).engine.connect() as conn:
        last = (await conn.execute(text("SELECT kind, detail_type FROM board_events WHERE board_id = :b "
                                        "ORDER BY seq DESC LIMIT 1"), {"b": board})).one()
        assert tuple(last) == ("BOARD_DELETED", "BoardDeleted")
        for table, column in (("tasks", "board_id"), ("labels", "board_id"), ("board_members", "board_id"),
                              ("boards", "id")):
            left = (await conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {column} = :b"),  # noqa: S608
                                       {"b": board})).scalar_one()
            assert left == 0, table
        rows = (await conn.execute(text("SELECT COUNT(*) FROM task_labels WHERE label_id = :l"),
                                   {"l": bug["id"]})).scalar_one()
        assert rows == 0
