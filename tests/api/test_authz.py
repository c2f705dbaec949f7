"""The permission matrix: owner / member / supervisor / assignee / outsider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.helpers import (
    ADD_MEMBER,
    CREATE_TASK,
    DELETE_TASK,
    GET_BOARD,
    GET_TASK,
    REMOVE_MEMBER,
    UPDATE_TASK,
    activity,
    add_member,
    codes,
    create_task,
    get_task,
    new_board,
)
from tests.conftest import Api

ROLES = ("owner", "member", "supervisor", "assignee", "outsider")
NODE = "query($id: ID!) { node(id: $id) { __typename id ... on Board { name } ... on Task { title } ... on User { email } } }"


@dataclass
class World:
    board: str
    users: dict[str, dict[str, Any]]

    def __getitem__(self, role: str) -> dict[str, Any]:
        return self.users[role]


async def make_world(api: Api) -> World:
    users = {role: await api.signup(role.title()) for role in ROLES}
    board = await new_board(api, users["owner"], "Matrix")
    for role in ("member", "supervisor", "assignee"):
        await add_member(api, users["owner"], board, users[role])
    return World(board, users)


async def supervised_task(api: Api, w: World, title: str = "Matrix task") -> dict[str, Any]:
    return await create_task(api, w["supervisor"], w.board, title, assigneeId=w["assignee"]["id"])


def outcome(body: dict[str, Any], field: str) -> str:
    c = codes(body)
    if not c:
        return "ok" if body["data"][field] is not None else "null-without-error"
    assert len(c) == 1, body
    if body.get("data") is not None:
        assert body["data"].get(field) is None, body  # no partial leak next to the error
    return str(c[0])


EXPECTED: dict[str, dict[str, str]] = {
    "read board": {"owner": "ok", "member": "ok", "supervisor": "ok", "assignee": "ok", "outsider": "NOT_FOUND"},
    "read task": {"owner": "ok", "member": "ok", "supervisor": "ok", "assignee": "ok", "outsider": "NOT_FOUND"},
    "read task via node": {"owner": "ok", "member": "ok", "supervisor": "ok", "assignee": "ok",
                           "outsider": "NOT_FOUND"},
    "createTask": {"owner": "ok", "member": "ok", "supervisor": "ok", "assignee": "ok", "outsider": "NOT_FOUND"},
    "updateTask": {"owner": "ok", "member": "FORBIDDEN", "supervisor": "ok", "assignee": "ok",
                   "outsider": "NOT_FOUND"},
    "deleteTask": {"owner": "ok", "member": "FORBIDDEN", "supervisor": "ok", "assignee": "FORBIDDEN",
                   "outsider": "NOT_FOUND"},
    "addBoardMember": {"owner": "ok", "member": "FORBIDDEN", "supervisor": "FORBIDDEN", "assignee": "FORBIDDEN",
                       "outsider": "NOT_FOUND"},
    "removeBoardMember": {"owner": "ok", "member": "FORBIDDEN", "supervisor": "FORBIDDEN",
                          "assignee": "FORBIDDEN", "outsider": "NOT_FOUND"},
}


@pytest.mark.parametrize("operation", list(EXPECTED))
async def test_permission_matrix(api: Api, operation: str) -> None:
    w = await make_world(api)
    task = await supervised_task(api, w)
    actual: dict[str, str] = {}
    successes = 0
    for role in ROLES:
        token = w[role]["token"]
        if operation == "read board":
            body = await api.gql(GET_BOARD, {"id": w.board}, token)
            actual[role] = outcome(body, "board")
            if actual[role] == "ok":
                assert body["data"]["board"]["viewerRole"] == ("OWNER" if role == "owner" else "MEMBER")
                assert len(body["data"]["board"]["members"]) == 4
        elif operation == "read task":
            body = await api.gql(GET_TASK, {"id": task["id"]}, token)
            actual[role] = outcome(body, "task")
            if actual[role] == "ok":
                assert body["data"]["task"]["title"] == "Matrix task"
        elif operation == "read task via node":
            body = await api.gql(NODE, {"id": task["id"]}, token)
            actual[role] = outcome(body, "node")
            if actual[role] == "ok":
                assert body["data"]["node"] == {"__typename": "Task", "id": task["id"], "title": "Matrix task"}
        elif operation == "createTask":
            body = await api.gql(CREATE_TASK, {"i": {"boardId": w.board, "title": f"by {role}"}}, token)
            actual[role] = outcome(body, "createTask")
            if actual[role] == "ok":
                assert body["data"]["createTask"]["supervisor"]["id"] == w[role]["id"]
        elif operation == "updateTask":
            body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": f"edited by {role}"}}, token)
            actual[role] = outcome(body, "updateTask")
        elif operation == "deleteTask":
            victim = await supervised_task(api, w, f"victim of {role}")
            body = await api.gql(DELETE_TASK, {"id": victim["id"]}, token)
            actual[role] = outcome(body, "deleteTask")
            still = await api.gql(GET_TASK, {"id": victim["id"]}, w["owner"]["token"])
            assert (still["data"]["task"] is None) == (actual[role] == "ok"), (role, still)
        elif operation == "addBoardMember":
            newcomer = await api.signup("Newcomer")
            body = await api.gql(ADD_MEMBER, {"b": w.board, "e": newcomer["email"], "r": "MEMBER"}, token)
            actual[role] = outcome(body, "addBoardMember")
            if actual[role] == "ok":
                assert body["data"]["addBoardMember"]["user"]["id"] == newcomer["id"]
        elif operation == "removeBoardMember":
            extra = await api.signup("Extra")
            await add_member(api, w["owner"], w.board, extra)
            body = await api.gql(REMOVE_MEMBER, {"b": w.board, "u": extra["id"]}, token)
            actual[role] = outcome(body, "removeBoardMember")
            if actual[role] == "ok":
                assert body["data"]["removeBoardMember"] is True
        successes += actual[role] == "ok"
    assert actual == EXPECTED[operation]

    # what the refused callers did left no trace
    if operation == "updateTask":
        after = await get_task(api, w["owner"], task["id"])
        assert after is not None and after["version"] == 1 + successes
        assert after["title"] == "edited by assignee"
    if operation in ("addBoardMember", "removeBoardMember"):
        members = (await api.ok(GET_BOARD, {"id": w.board}, w["owner"]["token"]))["board"]["members"]
        # add: one newcomer got in; remove: five extras joined, one was removed
        assert len(members) == (4 + 1 if operation == "addBoardMember" else 4 + len(ROLES) - 1)
    if operation == "createTask":
        titles = (await api.ok("query($id: ID!) { board(id: $id) { tasks { edges { node { title } } } } }",
                               {"id": w.board}, w["owner"]["token"]))["board"]["tasks"]["edges"]
        assert sorted(e["node"]["title"] for e in titles) == sorted(
            ["Matrix task"] + [f"by {r}" for r in ROLES if r != "outsider"])


async def test_outsider_sees_null_with_not_found_and_no_existence_leak(api: Api) -> None:
    w = await make_world(api)
    task = await supervised_task(api, w, "Hidden title")
    x = w["outsider"]["token"]
    for query, variables, field in [
        (GET_BOARD, {"id": w.board}, "board"),
        (GET_TASK, {"id": task["id"]}, "task"),
        (NODE, {"id": w.board}, "node"),
        (NODE, {"id": task["id"]}, "node"),
    ]:
        seen = await api.gql(query, variables, x)
        assert seen["data"] == {field: None}, seen
        assert codes(seen) == ["NOT_FOUND"]
        # an id that does not exist at all is answered the same way
        fake = variables["id"][:4] + "0" * 26
        missing = await api.gql(query, {"id": fake}, x)
        assert missing["data"] == {field: None} and codes(missing) == ["NOT_FOUND"]
        assert missing["errors"][0]["message"] == seen["errors"][0]["message"]
    assert "Hidden title" not in str(await api.gql(GET_TASK, {"id": task["id"]}, x))


async def test_assignee_must_be_a_member(api: Api) -> None:
    w = await make_world(api)
    owner = w["owner"]
    for bad in (w["outsider"]["id"], "usr_" + "0" * 26, "not-an-id", w.board):
        body = await api.gql(CREATE_TASK, {"i": {"boardId": w.board, "title": "T", "assigneeId": bad}},
                             owner["token"])
        assert codes(body) == ["BAD_USER_INPUT"], (bad, body)
    task = await create_task(api, owner, w.board, "Keep", assigneeId=w["member"]["id"])
    body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"assigneeId": w["outsider"]["id"], "title": "X"}},
                         owner["token"])
    assert codes(body) == ["BAD_USER_INPUT"], body
    after = await get_task(api, owner, task["id"])
    assert after is not None
    assert (after["version"], after["title"], after["assignee"]["id"]) == (1, "Keep", w["member"]["id"])
    # only the one creation reached the log
    kinds = [e["kind"] for e in await activity(api, owner, w.board)]
    assert kinds.count("TASK_CREATED") == 1 and "TASK_UPDATED" not in kinds and "TASK_ASSIGNED" not in kinds


async def test_removing_a_member_unassigns_their_tasks_and_hides_the_board(api: Api) -> None:
    w = await make_world(api)
    owner, assignee = w["owner"], w["assignee"]
    t1 = await supervised_task(api, w, "First")
    t2 = await create_task(api, owner, w.board, "Second", assigneeId=assignee["id"])
    await api.ok(UPDATE_TASK, {"id": t2["id"], "i": {"status": "IN_PROGRESS"}}, assignee["token"])
    other = await create_task(api, owner, w.board, "Other", assigneeId=w["member"]["id"])
    mine = (await api.ok("{ myTasks { totalCount } }", token=assignee["token"]))["myTasks"]["totalCount"]
    assert mine == 2
    before_events = len(await activity(api, owner, w.board))

    assert (await api.ok(REMOVE_MEMBER, {"b": w.board, "u": assignee["id"]}, owner["token"]))["removeBoardMember"]

    for task, version in ((t1, 2), (t2, 3)):
        now = await get_task(api, owner, task["id"])
        assert now is not None
        assert now["assignee"] is None and now["version"] == version, now
    untouched = await get_task(api, owner, other["id"])
    assert untouched is not None and untouched["version"] == 1 and untouched["assignee"]["id"] == w["member"]["id"]

    entries = await activity(api, owner, w.board)
    assert len(entries) == before_events + 3
    assert [e["kind"] for e in entries[:3]] == ["MEMBER_REMOVED", "TASK_ASSIGNED", "TASK_ASSIGNED"]
    assert {e["taskId"] for e in entries[1:3]} == {t1["id"], t2["id"]}
    for e in entries[1:3]:
        assert e["changes"] == {"assignee": {"from": assignee["id"], "to": None}}

    # the removed member sees nothing any more
    tok = assignee["token"]
    body = await api.gql(GET_BOARD, {"id": w.board}, tok)
    assert body["data"] == {"board": None} and codes(body) == ["NOT_FOUND"]
    body = await api.gql(GET_TASK, {"id": t1["id"]}, tok)
    assert body["data"] == {"task": None} and codes(body) == ["NOT_FOUND"]
    body = await api.gql(UPDATE_TASK, {"id": t1["id"], "i": {"title": "sneaky"}}, tok)
    assert codes(body) == ["NOT_FOUND"]
    assert (await api.ok("{ boards { id } }", token=tok))["boards"] == []
    assert (await api.ok("{ myTasks { totalCount } }", token=tok))["myTasks"]["totalCount"] == 0
    members = (await api.ok(GET_BOARD, {"id": w.board}, owner["token"]))["board"]["members"]
    assert assignee["id"] not in {m["user"]["id"] for m in members}


async def test_the_last_owner_cannot_be_removed(api: Api) -> None:
    w = await make_world(api)
    owner = w["owner"]
    body = await api.gql(REMOVE_MEMBER, {"b": w.board, "u": owner["id"]}, owner["token"])
    assert codes(body) == ["CONFLICT"], body
    second = await api.signup("CoOwner")
    await add_member(api, owner, w.board, second, "OWNER")
    # with two owners one may go
    assert (await api.ok(REMOVE_MEMBER, {"b": w.board, "u": owner["id"]}, second["token"]))["removeBoardMember"]
    body = await api.gql(REMOVE_MEMBER, {"b": w.board, "u": second["id"]}, second["token"])
    assert codes(body) == ["CONFLICT"], body
    board = (await api.ok(GET_BOARD, {"id": w.board}, second["token"]))["board"]
    assert [m["user"]["id"] for m in board["members"] if m["role"] == "OWNER"] == [second["id"]]
    body = await api.gql(GET_BOARD, {"id": w.board}, owner["token"])
    assert codes(body) == ["NOT_FOUND"]


async def test_add_member_errors(api: Api) -> None:
    w = await make_world(api)
    owner = w["owner"]
    body = await api.gql(ADD_MEMBER, {"b": w.board, "e": w["member"]["email"].upper(), "r": "MEMBER"}, owner["token"])
    assert codes(body) == ["CONFLICT"], body
    body = await api.gql(ADD_MEMBER, {"b": w.board, "e": "nobody-at-all@example.com", "r": "MEMBER"}, owner["token"])
    assert codes(body) and codes(body)[0] in ("NOT_FOUND", "BAD_USER_INPUT"), body
    body = await api.gql(REMOVE_MEMBER, {"b": w.board, "u": w["outsider"]["id"]}, owner["token"])
    assert codes(body) == ["NOT_FOUND"], body


async def test_node_resolves_board_task_and_visible_users_only(api: Api) -> None:
    w = await make_world(api)
    task = await supervised_task(api, w, "Noded")
    member = w["member"]
    tok = member["token"]
    assert (await api.ok(NODE, {"id": w.board}, tok))["node"] == {"__typename": "Board", "id": w.board,
                                                                   "name": "Matrix"}
    assert (await api.ok(NODE, {"id": task["id"]}, tok))["node"] == {"__typename": "Task", "id": task["id"],
                                                                      "title": "Noded"}
    me = (await api.ok(NODE, {"id": member["id"]}, tok))["node"]
    assert me == {"__typename": "User", "id": member["id"], "email": member["email"]}
    mate = (await api.ok(NODE, {"id": w["owner"]["id"]}, tok))["node"]
    assert mate == {"__typename": "User", "id": w["owner"]["id"], "email": w["owner"]["email"]}
    # someone we share no board with does not exist for us
    for hidden in (w["outsider"]["id"], "usr_" + "0" * 26, "garbage", ""):
        body = await api.gql(NODE, {"id": hidden}, tok)
        assert body["data"] == {"node": None} and codes(body) == ["NOT_FOUND"], (hidden, body)
    # ids are unique across types: each resolves to its own type only
    assert len({w.board, task["id"], member["id"]}) == 3
