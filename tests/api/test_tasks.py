from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import (
    DELETE_TASK,
    GET_TASK,
    activity,
    add_member,
    board_seqs,
    codes,
    create_task,
    get_task,
    message_re,
    new_board,
    update_task,
)
from tests.conftest import Api

SETTINGS = "{ viewer { notificationSettings { emailOnTaskChange emailDeadlineReminders smsOnTaskChange phoneNumber } } }"
UPDATE_SETTINGS = """mutation($i: NotificationSettingsInput!) { updateNotificationSettings(input: $i) {
  emailOnTaskChange emailDeadlineReminders smsOnTaskChange phoneNumber } }"""


async def test_versions_grow_by_one_and_expected_version_guards(api: Api) -> None:
    owner = await api.signup("Ver")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Write tests", description="d", deadline="2030-01-02")
    assert task["version"] == 1 and task["status"] == "TODO" and task["deadline"] == "2030-01-02"
    assert task["createdAt"] == task["updatedAt"]

    body = await update_task(api, owner, task["id"], title="Write more tests", expectedVersion=1)
    assert "errors" not in body, body
    t2 = body["data"]["updateTask"]
    assert (t2["version"], t2["title"], t2["description"], t2["deadline"]) == (2, "Write more tests", "d", "2030-01-02")
    assert t2["updatedAt"] >= t2["createdAt"] == task["createdAt"]

    t3 = (await update_task(api, owner, task["id"], status="IN_PROGRESS"))["data"]["updateTask"]
    assert t3["version"] == 3 and t3["status"] == "IN_PROGRESS"

    events_before = len(await activity(api, owner, board))
    for stale in (1, 2, 4, 0):
        body = await update_task(api, owner, task["id"], title="Lost update", status="DONE", expectedVersion=stale)
        assert codes(body) == ["CONFLICT"], (stale, body)
        assert body["data"] is None
    now = await get_task(api, owner, task["id"])
    assert now is not None and (now["version"], now["title"], now["status"]) == (3, "Write more tests", "IN_PROGRESS")
    assert len(await activity(api, owner, board)) == events_before

    body = await api.gql(DELETE_TASK, {"id": task["id"], "v": 2}, owner["token"])
    assert codes(body) == ["CONFLICT"]
    assert await get_task(api, owner, task["id"]) is not None
    assert (await api.ok(DELETE_TASK, {"id": task["id"], "v": 3}, owner["token"]))["deleteTask"] == task["id"]
    gone = await api.gql(GET_TASK, {"id": task["id"]}, owner["token"])
    assert gone["data"] == {"task": None} and codes(gone) == ["NOT_FOUND"]
    body = await update_task(api, owner, task["id"], title="Zombie")
    assert codes(body) == ["NOT_FOUND"]
    assert codes(await api.gql(DELETE_TASK, {"id": task["id"]}, owner["token"])) == ["NOT_FOUND"]


async def test_explicit_null_clears_while_absent_fields_stay(api: Api) -> None:
    owner = await api.signup("Nul")
    mate = await api.signup("Mate")
    board = await new_board(api, owner)
    await add_member(api, owner, board, mate)
    task = await create_task(api, owner, board, "Nullable", description="keep me", status="IN_REVIEW",
                             deadline="2031-05-06", assigneeId=mate["id"])
    assert task["assignee"]["id"] == mate["id"]

    t = (await update_task(api, owner, task["id"], deadline=None))["data"]["updateTask"]
    assert t["deadline"] is None and t["version"] == 2
    assert (t["title"], t["description"], t["status"], t["assignee"]["id"]) == (
        "Nullable", "keep me", "IN_REVIEW", mate["id"])

    t = (await update_task(api, owner, task["id"], assigneeId=None))["data"]["updateTask"]
    assert t["assignee"] is None and t["deadline"] is None and t["version"] == 3
    assert (t["title"], t["description"], t["status"]) == ("Nullable", "keep me", "IN_REVIEW")

    t = (await update_task(api, owner, task["id"], deadline="2032-01-01", assigneeId=mate["id"]))["data"]["updateTask"]
    assert (t["deadline"], t["assignee"]["id"], t["version"]) == ("2032-01-01", mate["id"], 4)
    # persisted, not just echoed
    stored = await get_task(api, owner, task["id"])
    assert stored == t

    for field in ("title", "status", "description"):
        body = await update_task(api, owner, task["id"], **{field: None})
        assert codes(body) == ["BAD_USER_INPUT"], (field, body)
    assert (await get_task(api, owner, task["id"])) == t


@pytest.mark.parametrize("bad", [{"title": ""}, {"title": "   "}, {"title": "x" * 201}, {"deadline": "2030-13-01"},
                                 {"deadline": "tomorrow"}, {"status": "DOING"}])
async def test_invalid_task_input_is_bad_user_input(api: Api, bad: dict[str, Any]) -> None:
    owner = await api.signup("Bad")
    board = await new_board(api, owner)
    body = await api.gql("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                         {"i": {"boardId": board, "title": "ok", **bad}}, owner["token"])
    assert codes(body) == ["BAD_USER_INPUT"], body
    count = await api.ok("query($id: ID!) { board(id: $id) { tasks { totalCount } } }", {"id": board}, owner["token"])
    assert count["board"]["tasks"]["totalCount"] == 0


async def test_each_change_adds_one_activity_entry_in_the_seed_style(api: Api) -> None:
    owner = await api.signup("Own")
    sup = await api.signup("Sup")
    pic = await api.signup("Pic")
    board = await new_board(api, owner, "Log board")
    await add_member(api, owner, board, sup)
    await add_member(api, owner, board, pic)
    base = await activity(api, owner, board)
    assert [e["kind"] for e in base] == ["MEMBER_ADDED", "MEMBER_ADDED"]

    task = await create_task(api, sup, board, "CI/CD Test")
    tid = task["id"]
    steps: list[tuple[dict[str, Any], str, Any, Any]] = [
        # (who, kind, message pattern, changes)
        (sup, "TASK_CREATED", message_re("Supervisor", sup["email"], "Created", "CI/CD Test"), {"created": True}),
    ]
    assert (await update_task(api, sup, tid, assigneeId=pic["id"]))["data"]["updateTask"]["version"] == 2
    steps.append((sup, "TASK_ASSIGNED", message_re("Supervisor", sup["email"], f"Assigned {pic['email']}",
                                                    "CI/CD Test"),
                  {"assignee": {"from": None, "to": pic["id"]}}))
    assert (await update_task(api, pic, tid, status="DONE"))["data"]["updateTask"]["version"] == 3
    steps.append((pic, "TASK_STATUS_CHANGED", message_re("Assignee", pic["email"], "Done", "CI/CD Test"),
                  {"status": {"from": "TODO", "to": "DONE"}}))
    assert (await update_task(api, owner, tid, title="CI/CD Prod", deadline="2030-02-03"))["data"]["updateTask"][
        "version"] == 4
    steps.append((owner, "TASK_UPDATED", message_re("Owner", owner["email"], "Updated", "CI/CD Prod"),
                  {"title": {"from": "CI/CD Test", "to": "CI/CD Prod"},
                   "deadline": {"from": None, "to": "2030-02-03"}}))
    assert (await api.ok(DELETE_TASK, {"id": tid}, sup["token"]))["deleteTask"] == tid
    steps.append((sup, "TASK_DELETED", message_re("Supervisor", sup["email"], "Deleted", "CI/CD Prod"),
                  {"deleted": True}))

    entries = await activity(api, owner, board)
    assert len(entries) == len(base) + len(steps)
    newest_first = list(reversed(steps))
    for entry, (who, kind, pattern, changes) in zip(entries, newest_first, strict=False):
        assert entry["kind"] == kind, entry
        assert entry["actorEmail"] == who["email"]
        assert entry["boardId"] == board and entry["taskId"] == tid
        assert pattern.match(entry["message"]), (kind, entry["message"])
        assert entry["message"].endswith(" at " + entry["at"]), entry
        assert entry["changes"] == changes, entry
    assert entries[len(steps):] == base
    ats = [e["at"] for e in entries]
    assert ats == sorted(ats, reverse=True)
    assert len({e["id"] for e in entries}) == len(entries)

    # seqs of the board: 1..n, no gaps, one per entry
    assert await board_seqs(api, board) == list(range(1, len(entries) + 1))

    # activity pages of 2 walk the same entries
    walked: list[str] = []
    after = None
    while True:
        data = await api.ok("""query($id: ID!, $after: String) { board(id: $id) { activity(first: 2, after: $after) {
            edges { node { id } } pageInfo { hasNextPage endCursor } } } }""", {"id": board, "after": after},
                            owner["token"])
        page = data["board"]["activity"]
        walked += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == [e["id"] for e in entries]


async def test_task_activity_lists_only_that_task_newest_first(api: Api) -> None:
    owner = await api.signup("TAct")
    board = await new_board(api, owner)
    a = await create_task(api, owner, board, "A")
    b = await create_task(api, owner, board, "B")
    await update_task(api, owner, a["id"], status="IN_PROGRESS")
    await update_task(api, owner, b["id"], title="B2")
    data = await api.ok("""query($id: ID!) { task(id: $id) { activity { edges { node { kind taskId } } } } }""",
                        {"id": a["id"]}, owner["token"])
    nodes = [e["node"] for e in data["task"]["activity"]["edges"]]
    assert nodes == [{"kind": "TASK_STATUS_CHANGED", "taskId": a["id"]}, {"kind": "TASK_CREATED", "taskId": a["id"]}]
    assert await board_seqs(api, board) == [1, 2, 3, 4]


async def test_my_tasks_lists_tasks_assigned_to_the_viewer_across_boards(api: Api) -> None:
    me = await api.signup("Me")
    boss1 = await api.signup("BossOne")
    boss2 = await api.signup("BossTwo")
    b1 = await new_board(api, boss1, "One")
    b2 = await new_board(api, boss2, "Two")
    await add_member(api, boss1, b1, me)
    await add_member(api, boss2, b2, me)
    mine = {
        (await create_task(api, boss1, b1, "m1", assigneeId=me["id"]))["id"],
        (await create_task(api, boss2, b2, "m2", assigneeId=me["id"], status="DONE"))["id"],
        (await create_task(api, me, b2, "m3", assigneeId=me["id"]))["id"],
    }
    await create_task(api, boss1, b1, "not mine", assigneeId=boss1["id"])
    await create_task(api, me, b1, "supervised, unassigned")
    moved = await create_task(api, boss2, b2, "reassigned", assigneeId=me["id"])
    await update_task(api, boss2, moved["id"], assigneeId=boss2["id"])

    data = await api.ok("""{ myTasks(first: 100) { totalCount edges { node { id assignee { id } board { id } } } } }""",
                        token=me["token"])
    got = data["myTasks"]
    assert got["totalCount"] == 3
    assert {e["node"]["id"] for e in got["edges"]} == mine
    assert all(e["node"]["assignee"]["id"] == me["id"] for e in got["edges"])
    assert {e["node"]["board"]["id"] for e in got["edges"]} == {b1, b2}
    done = await api.ok("""{ myTasks(filter: {status: [DONE]}) { totalCount edges { node { title } } } }""",
                        token=me["token"])
    assert done["myTasks"]["totalCount"] == 1 and done["myTasks"]["edges"][0]["node"]["title"] == "m2"
    # the bosses see only their own assignments
    boss = await api.ok("{ myTasks { totalCount } }", token=boss2["token"])
    assert boss["myTasks"]["totalCount"] == 1


async def test_notification_settings(api: Api) -> None:
    me = await api.signup("Notify")
    defaults = (await api.ok(SETTINGS, token=me["token"]))["viewer"]["notificationSettings"]
    assert defaults == {"emailOnTaskChange": True, "emailDeadlineReminders": True, "smsOnTaskChange": False,
                        "phoneNumber": None}

    out = (await api.ok(UPDATE_SETTINGS, {"i": {"smsOnTaskChange": True, "phoneNumber": "+821012345678"}},
                        me["token"]))["updateNotificationSettings"]
    assert out == {"emailOnTaskChange": True, "emailDeadlineReminders": True, "smsOnTaskChange": True,
                   "phoneNumber": "+821012345678"}

    for bad in ("821012345678", "+0123456789", "+12", "+1234567890123456", "call me", "+82 10 abc", ""):
        body = await api.gql(UPDATE_SETTINGS, {"i": {"phoneNumber": bad, "emailOnTaskChange": False}}, me["token"])
        assert codes(body) == ["BAD_USER_INPUT"], (bad, body)
    # a refused update changed nothing, not even the valid part of it
    assert (await api.ok(SETTINGS, token=me["token"]))["viewer"]["notificationSettings"] == out

    # absent fields stay
    out2 = (await api.ok(UPDATE_SETTINGS, {"i": {"emailDeadlineReminders": False}}, me["token"]))[
        "updateNotificationSettings"]
    assert out2 == {**out, "emailDeadlineReminders": False}
    # an explicit null removes the number
    out3 = (await api.ok(UPDATE_SETTINGS, {"i": {"phoneNumber": None}}, me["token"]))["updateNotificationSettings"]
    assert out3 == {**out2, "phoneNumber": None}
    assert (await api.ok(SETTINGS, token=me["token"]))["viewer"]["notificationSettings"] == out3
    # someone else's settings are untouched
    other = await api.signup("Other")
    assert (await api.ok(SETTINGS, token=other["token"]))["viewer"]["notificationSettings"] == defaults
