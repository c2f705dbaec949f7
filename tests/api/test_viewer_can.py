"""`Task.viewerCan`: what the viewer may do to a task, from the rule the mutations
enforce (an answer the server then contradicts is a control that lies), batched."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import DELETE_TASK, UPDATE_TASK, add_member, codes, create_task, new_board
from tests.api.test_n_plus_one import StatementCounter
from tests.conftest import Api

CAN = "viewerCan { update move delete comment updateReason moveReason deleteReason commentReason }"
BOARD_CAN = f"""query($id: ID!) {{ board(id: $id) {{ id viewerRole
  tasks(first: 50) {{ edges {{ node {{ id title supervisor {{ id }} assignee {{ id }} {CAN} }} }} }} }} }}"""
MOVE = "mutation($id: ID!) { moveTask(id: $id, input: {status: DONE}) { id } }"
COMMENT = "mutation($t: ID!) { addComment(taskId: $t, body: \"hi\") { id } }"

CHANGE = "Only the supervisor, the assignee and the board's owners can change this task."
MOVE_NO = "Only the supervisor, the assignee and the board's owners can move this task."
DELETE_NO = "Only the supervisor and the board's owners can delete this task."


async def _people(api: Api) -> tuple[dict[str, dict[str, Any]], str]:
    people = {name: await api.signup(name) for name in ("Owner", "Sup", "Pic", "Other")}
    board = await new_board(api, people["Owner"], "Perms")
    for name in ("Sup", "Pic", "Other"):
        await add_member(api, people["Owner"], board, people[name])
    return people, board


async def test_each_person_sees_what_the_mutations_then_do(api: Api) -> None:
    people, board = await _people(api)
    task = await create_task(api, people["Sup"], board, "Shared", assigneeId=people["Pic"]["id"])
    expected = {
        "Owner": (True, True, True, True),
        "Sup": (True, True, True, True),
        "Pic": (True, True, False, True),
        "Other": (False, False, False, True),
    }
    for name, (update, move, delete, comment) in expected.items():
        user = people[name]
        data = await api.ok(BOARD_CAN, {"id": board}, user["token"])
        (edge,) = data["board"]["tasks"]["edges"]
        can = edge["node"]["viewerCan"]
        assert (can["update"], can["move"], can["delete"], can["comment"]) == (update, move, delete, comment), name
        assert can["updateReason"] == (None if update else CHANGE)
        assert can["moveReason"] == (None if move else MOVE_NO)
        assert can["deleteReason"] == (None if delete else DELETE_NO)
        assert can["commentReason"] is None
    # and the mutations agree, with the same sentence
    other, pic = people["Other"], people["Pic"]
    refusals = [
        (await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": "x"}}, other["token"]), CHANGE),
        (await api.gql(MOVE, {"id": task["id"]}, other["token"]), MOVE_NO),
        (await api.gql(DELETE_TASK, {"id": task["id"]}, other["token"]), DELETE_NO),
        (await api.gql(DELETE_TASK, {"id": task["id"]}, pic["token"]), DELETE_NO),
    ]
    for body, message in refusals:
        assert codes(body) == ["FORBIDDEN"], body
        assert body["errors"][0]["message"] == message
    await api.ok(COMMENT, {"t": task["id"]}, other["token"])
    await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"title": "by pic"}}, pic["token"])
    await api.ok(MOVE, {"id": task["id"]}, pic["token"])


async def test_viewer_can_follows_the_task_and_the_role(api: Api) -> None:
    people, board = await _people(api)
    task = await create_task(api, people["Sup"], board, "Reassigned")
    query = f"query($id: ID!) {{ task(id: $id) {{ {CAN} }} }}"
    other = people["Other"]
    assert (await api.ok(query, {"id": task["id"]}, other["token"]))["task"]["viewerCan"]["update"] is False
    await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"assigneeId": other["id"]}}, people["Sup"]["token"])
    assert (await api.ok(query, {"id": task["id"]}, other["token"]))["task"]["viewerCan"]["update"] is True
    # in myTasks and node too
    mine = await api.ok(f"{{ myTasks {{ edges {{ node {{ id {CAN} }} }} }} }}", None, other["token"])
    assert [e["node"]["viewerCan"]["move"] for e in mine["myTasks"]["edges"]] == [True]
    node = await api.ok(f"query($id: ID!) {{ node(id: $id) {{ ... on Task {{ {CAN} }} }} }}", {"id": task["id"]},
                        other["token"])
    assert node["node"]["viewerCan"]["delete"] is False


async def test_viewer_can_costs_no_statement_per_task(api: Api) -> None:
    people, board = await _people(api)
    small = await new_board(api, people["Owner"], "Small")
    await add_member(api, people["Owner"], small, people["Other"])
    await add_member(api, people["Owner"], small, people["Sup"])
    for b, n in ((small, 3), (board, 30)):
        for i in range(n):
            await create_task(api, people["Sup" if i % 2 else "Owner"], b, f"t{i}")
    counter = StatementCounter(api)
    plain = BOARD_CAN.replace(CAN, "")
    n_plain, _ = await counter.count(api, plain, {"id": board}, people["Other"]["token"])
    n_small, _ = await counter.count(api, BOARD_CAN, {"id": small}, people["Other"]["token"])
    n_big, data = await counter.count(api, BOARD_CAN, {"id": board}, people["Other"]["token"])
    assert len(data["board"]["tasks"]["edges"]) == 30
    assert n_big == n_small == n_plain, counter.statements
    # across boards (myTasks): one more statement at most, whatever the number of boards
    for b in (small, board):
        for i in range(3):
            await create_task(api, people["Owner"], b, f"mine{i}", assigneeId=people["Sup"]["id"])
    my = "{ myTasks(first: 100) { edges { node { id %s } } } }"
    n_my_plain, _ = await counter.count(api, my % "", {}, people["Sup"]["token"])
    n_my_can, data = await counter.count(api, my % CAN, {}, people["Sup"]["token"])
    assert len(data["myTasks"]["edges"]) == 6
    assert n_my_can <= n_my_plain + 2, counter.statements  # one read (SQLite adds its BEGIN)
