"""Label and board events on the live stream; after BOARD_DELETED every
subscription to the board completes."""

from __future__ import annotations

from tests.live.conftest import LiveServer, events, next_message, subscribe
from tests.live.test_delivery import board_with

SELECTION = "kind seq boardId taskId label { id name color } labelId boardName task { id labels { name } }"
CREATE_LABEL = "mutation($b: ID!, $n: String!) { createLabel(boardId: $b, name: $n, color: \"#0E8A16\") { id } }"
UPDATE_LABEL = "mutation($id: ID!) { updateLabel(id: $id, name: \"Bugs\") { id } }"
DELETE_LABEL = "mutation($id: ID!) { deleteLabel(id: $id) }"
CREATE_TASK = "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }"
UPDATE_TASK = "mutation($id: ID!, $i: UpdateTaskInput!) { updateTask(id: $id, input: $i) { id } }"
RENAME = "mutation($b: ID!) { renameBoard(id: $b, name: \"Renamed\") { id } }"
DELETE_BOARD = "mutation($b: ID!) { deleteBoard(id: $b) }"
ADD = 'mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }'


async def test_label_and_board_events_then_every_subscription_completes(live: LiveServer) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    api, t, b = live.api, owner["token"], board["id"]
    await api.ok(ADD, {"b": b, "e": bob["email"]}, t)  # seq 1
    ws_owner, ws_bob = await live.socket(owner["token"]), await live.socket(bob["token"])
    await subscribe(ws_owner, "1", b, after_seq=1, selection=SELECTION)
    await subscribe(ws_bob, "2", b, after_seq=1, selection=SELECTION)

    bug = (await api.ok(CREATE_LABEL, {"b": b, "n": "Bug"}, t))["createLabel"]  # 2
    ui = (await api.ok(CREATE_LABEL, {"b": b, "n": "UI"}, bob["token"]))["createLabel"]  # 3
    task = (await api.ok(CREATE_TASK, {"i": {"boardId": b, "title": "x", "labelIds": [bug["id"]]}}, t))["createTask"]
    await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"labelIds": [bug["id"], ui["id"]]}}, t)  # 5
    await api.ok(UPDATE_LABEL, {"id": bug["id"]}, t)  # 6
    await api.ok(DELETE_LABEL, {"id": ui["id"]}, t)  # 7
    await api.ok(RENAME, {"b": b}, bob["token"])  # 8
    await api.ok(DELETE_BOARD, {"b": b}, t)  # 9

    for ws, op in ((ws_owner, "1"), (ws_bob, "2")):
        got = await events(ws, 8)
        assert [e["seq"] for e in got] == list(range(2, 10))
        assert [e["kind"] for e in got] == ["LABEL_CREATED", "LABEL_CREATED", "TASK_CREATED", "TASK_UPDATED",
                                            "LABEL_UPDATED", "LABEL_DELETED", "BOARD_RENAMED", "BOARD_DELETED"]
        created, _, task_created, task_updated, updated, deleted, renamed, gone = got
        assert created["label"] == {"id": bug["id"], "name": "Bug", "color": "#0e8a16"}
        assert created["labelId"] == bug["id"] and created["boardName"] is None
        assert task_created["task"]["labels"] == [{"name": "Bug"}]
        assert task_updated["task"]["labels"] == [{"name": "Bug"}, {"name": "UI"}]
        assert updated["label"]["name"] == "Bugs"
        assert deleted["label"] is None and deleted["labelId"] == ui["id"]
        assert renamed["boardName"] == "Renamed" and renamed["label"] is None
        assert gone["boardId"] == b and gone["labelId"] is None
        done = await next_message(ws)
        assert done == {"id": op, "type": "complete"}, done
