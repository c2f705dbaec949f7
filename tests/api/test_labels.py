"""Labels: any member manages them; tasks carry them (`labelIds`), and the filter
finds tasks carrying all of a set.  Every label change is a change of the board."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.helpers import (
    ISO_MS,
    activity,
    add_member,
    board_seqs,
    codes,
    create_task,
    new_board,
    update_task,
)
from tests.api.test_n_plus_one import StatementCounter
from tests.conftest import Api

CREATE_LABEL = """mutation($b: ID!, $n: String!, $c: String!) {
  createLabel(boardId: $b, name: $n, color: $c) { id name color } }"""
UPDATE_LABEL = """mutation($id: ID!, $n: String, $c: String) { updateLabel(id: $id, name: $n, color: $c) { id name color } }"""
DELETE_LABEL = "mutation($id: ID!) { deleteLabel(id: $id) }"
BOARD_LABELS = "query($id: ID!) { board(id: $id) { lastSeq labels { id name color } } }"
TASK_LABELS = "query($id: ID!) { task(id: $id) { version labels { id name } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Label { name color } } }"
FILTERED = """query($id: ID!, $f: TaskFilter) { board(id: $id) { tasks(filter: $f) { totalCount
  edges { node { id title labels { name } } } } } }"""


async def label(api: Api, user: dict[str, Any], board: str, name: str, color: str = "#1f883d") -> dict[str, Any]:
    data = await api.ok(CREATE_LABEL, {"b": board, "n": name, "c": color}, user["token"])
    created: dict[str, Any] = data["createLabel"]
    return created


async def board_labels(api: Api, user: dict[str, Any], board: str) -> list[dict[str, Any]]:
    data = await api.ok(BOARD_LABELS, {"id": board}, user["token"])
    return list(data["board"]["labels"])


def label_line(role: str, email: str, verb: str, name: str, prep: str, board: str) -> re.Pattern[str]:
    return re.compile(rf"^{role} {re.escape(email)} {verb} Label {re.escape(name)} {prep} Board "
                      rf"{re.escape(board)} at {ISO_MS}$")


async def test_members_create_update_and_delete_labels_each_a_board_change(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner, "Team")
    await add_member(api, owner, board, member)  # seq 1

    bug = await label(api, member, board, "Bug", "#D73A4A")  # seq 2
    assert bug["id"] and bug["name"] == "Bug" and bug["color"] == "#d73a4a"
    urgent = await label(api, owner, board, "Urgent")  # seq 3
    assert [lb["name"] for lb in await board_labels(api, owner, board)] == ["Bug", "Urgent"]

    renamed = (await api.ok(UPDATE_LABEL, {"id": bug["id"], "n": "Defect"}, member["token"]))["updateLabel"]
    assert renamed == {"id": bug["id"], "name": "Defect", "color": "#d73a4a"}  # seq 4
    # a change that changes nothing records nothing
    same = await api.ok(UPDATE_LABEL, {"id": bug["id"], "n": "Defect", "c": "#D73A4A"}, member["token"])
    assert same["updateLabel"]["name"] == "Defect"
    assert (await api.ok(DELETE_LABEL, {"id": urgent["id"]}, member["token"]))["deleteLabel"] == urgent["id"]  # seq 5
    assert [lb["id"] for lb in await board_labels(api, owner, board)] == [bug["id"]]

    assert await board_seqs(api, board) == [1, 2, 3, 4, 5]
    entries = list(reversed(await activity(api, owner, board)))
    assert [e["kind"] for e in entries] == ["MEMBER_ADDED", "LABEL_CREATED", "LABEL_CREATED", "LABEL_UPDATED",
                                            "LABEL_DELETED"]
    created, _, updated, deleted = entries[1:]
    assert label_line("Member", member["email"], "Created", "Bug", "on", "Team").match(created["message"])
    assert label_line("Member", member["email"], "Updated", "Defect", "on", "Team").match(updated["message"])
    assert label_line("Member", member["email"], "Deleted", "Urgent", "from", "Team").match(deleted["message"])
    assert updated["changes"] == {"name": {"from": "Bug", "to": "Defect"}}
    assert all(e["taskId"] is None for e in entries)

    node = (await api.ok(NODE, {"id": bug["id"]}, member["token"]))["node"]
    assert node == {"id": bug["id"], "name": "Defect", "color": "#d73a4a"}


@pytest.mark.parametrize("name,color", [("", "#ffffff"), ("   ", "#ffffff"), ("x" * 51, "#ffffff"),
                                        ("Ok", "red"), ("Ok", "#fff"), ("Ok", "#12345g"), ("Ok", "")])
async def test_bad_names_and_colors_are_bad_user_input(api: Api, name: str, color: str) -> None:
    owner = await api.signup("Owner")
    board = await new_board(api, owner)
    body = await api.gql(CREATE_LABEL, {"b": board, "n": name, "c": color}, owner["token"])
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert await board_seqs(api, board) == []


async def test_a_name_is_unique_on_its_board_ignoring_case(api: Api) -> None:
    owner = await api.signup("Owner")
    board, other = await new_board(api, owner), await new_board(api, owner, "Other")
    first = await label(api, owner, board, "Bug")
    assert codes(await api.gql(CREATE_LABEL, {"b": board, "n": "bug", "c": "#000000"}, owner["token"])) == ["CONFLICT"]
    await label(api, owner, other, "Bug")  # another board may
    second = await label(api, owner, board, "Chore")
    assert codes(await api.gql(UPDATE_LABEL, {"id": second["id"], "n": "BUG"}, owner["token"])) == ["CONFLICT"]
    # renaming to its own name in another case is fine
    body = await api.ok(UPDATE_LABEL, {"id": first["id"], "n": "BUG"}, owner["token"])
    assert body["updateLabel"]["name"] == "BUG"


async def test_non_members_get_not_found_for_every_label_operation(api: Api) -> None:
    owner, outsider = await api.signup("Owner"), await api.signup("Out")
    board = await new_board(api, owner)
    bug = await label(api, owner, board, "Bug")
    t = outsider["token"]
    assert codes(await api.gql(CREATE_LABEL, {"b": board, "n": "X", "c": "#000000"}, t)) == ["NOT_FOUND"]
    assert codes(await api.gql(UPDATE_LABEL, {"id": bug["id"], "n": "X"}, t)) == ["NOT_FOUND"]
    assert codes(await api.gql(DELETE_LABEL, {"id": bug["id"]}, t)) == ["NOT_FOUND"]
    assert codes(await api.gql(NODE, {"id": bug["id"]}, t)) == ["NOT_FOUND"]
    assert codes(await api.gql(DELETE_LABEL, {"id": "lbl_nonsense"}, owner["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(CREATE_LABEL, {"b": board, "n": "X", "c": "#000000"})) == ["UNAUTHENTICATED"]
    assert [lb["name"] for lb in await board_labels(api, owner, board)] == ["Bug"]
    assert await board_seqs(api, board) == [1]


async def test_task_labels_are_set_on_create_replaced_on_update_and_recorded(api: Api) -> None:
    owner = await api.signup("Owner")
    board = await new_board(api, owner)
    bug, ui, docs = [await label(api, owner, board, n) for n in ("Bug", "UI", "Docs")]
    task = await create_task(api, owner, board, "Fix it", labelIds=[ui["id"], bug["id"], bug["id"]])
    data = await api.ok(TASK_LABELS, {"id": task["id"]}, owner["token"])
    assert data["task"] == {"version": 1, "labels": [{"id": bug["id"], "name": "Bug"}, {"id": ui["id"], "name": "UI"}]}

    body = await update_task(api, owner, task["id"], labelIds=[docs["id"], bug["id"]])
    assert "errors" not in body and body["data"]["updateTask"]["version"] == 2
    data = await api.ok(TASK_LABELS, {"id": task["id"]}, owner["token"])
    assert [lb["name"] for lb in data["task"]["labels"]] == ["Bug", "Docs"] and data["task"]["version"] == 2
    # the same set again is no change: no version, no event
    seqs = await board_seqs(api, board)
    body = await update_task(api, owner, task["id"], labelIds=[bug["id"], docs["id"]])
    assert body["data"]["updateTask"]["version"] == 2 and await board_seqs(api, board) == seqs

    entry = (await activity(api, owner, board))[0]
    assert entry["kind"] == "TASK_UPDATED" and entry["taskId"] == task["id"]
    assert entry["changes"] == {"labels": {"from": sorted([bug["id"], ui["id"]]), "to": sorted([bug["id"], docs["id"]])}}

    body = await update_task(api, owner, task["id"], labelIds=[])
    assert body["data"]["updateTask"]["version"] == 3
    assert (await api.ok(TASK_LABELS, {"id": task["id"]}, owner["token"]))["task"]["labels"] == []


async def test_labels_of_another_board_are_bad_user_input(api: Api) -> None:
    owner = await api.signup("Owner")
    board, other = await new_board(api, owner), await new_board(api, owner, "Other")
    mine, theirs = await label(api, owner, board, "Mine"), await label(api, owner, other, "Theirs")
    seqs = await board_seqs(api, board)
    for bad in ([theirs["id"]], [mine["id"], theirs["id"]], ["lbl_nonsense"], [board]):
        body = await api.gql("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                             {"i": {"boardId": board, "title": "t", "labelIds": bad}}, owner["token"])
        assert codes(body) == ["BAD_USER_INPUT"], (bad, body)
    assert await board_seqs(api, board) == seqs
    task = await create_task(api, owner, board, "t", labelIds=[mine["id"]])
    body = await update_task(api, owner, task["id"], labelIds=[theirs["id"]])
    assert codes(body) == ["BAD_USER_INPUT"]
    labels = (await api.ok(TASK_LABELS, {"id": task["id"]}, owner["token"]))["task"]
    assert labels == {"version": 1, "labels": [{"id": mine["id"], "name": "Mine"}]}


async def test_deleting_a_label_takes_it_off_its_tasks_in_one_event(api: Api) -> None:
    owner = await api.signup("Owner")
    board = await new_board(api, owner)
    bug, ui = await label(api, owner, board, "Bug"), await label(api, owner, board, "UI")
    tasks = [await create_task(api, owner, board, f"t{i}", labelIds=[bug["id"], ui["id"]]) for i in range(3)]
    before = await board_seqs(api, board)
    await api.ok(DELETE_LABEL, {"id": bug["id"]}, owner["token"])
    assert await board_seqs(api, board) == [*before, before[-1] + 1]
    assert (await activity(api, owner, board))[0]["kind"] == "LABEL_DELETED"
    for t in tasks:
        data = (await api.ok(TASK_LABELS, {"id": t["id"]}, owner["token"]))["task"]
        assert data["labels"] == [{"id": ui["id"], "name": "UI"}]
    assert codes(await api.gql(UPDATE_LABEL, {"id": bug["id"], "n": "Back"}, owner["token"])) == ["NOT_FOUND"]


async def test_the_filter_finds_tasks_carrying_every_label(api: Api) -> None:
    owner = await api.signup("Owner")
    board = await new_board(api, owner)
    a, b, c = [await label(api, owner, board, n) for n in ("A", "B", "C")]
    await create_task(api, owner, board, "ab", labelIds=[a["id"], b["id"]])
    await create_task(api, owner, board, "a", labelIds=[a["id"]])
    await create_task(api, owner, board, "abc", labelIds=[a["id"], b["id"], c["id"]])
    await create_task(api, owner, board, "none")

    async def titles(ids: list[str], **extra: Any) -> list[str]:
        data = await api.ok(FILTERED, {"id": board, "f": {"labelIds": ids, **extra}}, owner["token"])
        conn = data["board"]["tasks"]
        assert conn["totalCount"] == len(conn["edges"])
        return sorted(e["node"]["title"] for e in conn["edges"])

    assert await titles([a["id"]]) == ["a", "ab", "abc"]
    assert await titles([a["id"], b["id"]]) == ["ab", "abc"]
    assert await titles([c["id"], a["id"], b["id"]]) == ["abc"]
    assert await titles([a["id"], b["id"]], search="abc") == ["abc"]
    assert await titles([]) == ["a", "ab", "abc", "none"]
    assert await titles(["lbl_nonsense"]) == []


async def test_task_labels_of_a_page_cost_one_statement(api: Api) -> None:
    owner = await api.signup("Owner")
    small, big = await new_board(api, owner, "Small"), await new_board(api, owner, "Big")
    for board, n in ((small, 3), (big, 30)):
        labels = [await label(api, owner, board, f"L{i}") for i in range(3)]
        for i in range(n):
            await create_task(api, owner, board, f"t{i}", labelIds=[labels[i % 3]["id"], labels[(i + 1) % 3]["id"]])
    # (a plain list costs a full page in the query cost: 30 tasks keep this under the limit)
    query = """query($id: ID!) { board(id: $id) { labels { id } tasks(first: 30) {
      edges { node { id labels { id name } } } } } }"""
    counter = StatementCounter(api)
    n_small, _ = await counter.count(api, query, {"id": small}, owner["token"])
    n_big, data_big = await counter.count(api, query, {"id": big}, owner["token"])
    assert n_small == n_big, counter.statements
    assert all(len(e["node"]["labels"]) == 2 for e in data_big["board"]["tasks"]["edges"])
    assert len(data_big["board"]["tasks"]["edges"]) == 30
