"""Errors a person reads, names and titles of nothing but spaces, and the limits the
server serves (the same numbers its checks use)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.helpers import CREATE_BOARD, CREATE_TASK, UPDATE_TASK, codes, create_task, new_board
from tests.conftest import SIGNUP, Api

# Spaces of every kind, and characters that show as nothing (a zero-width space, a BOM).
BLANKS = ["   ", "\t \n", "\u00a0\u3000", "\u200b", " \ufeff \u200b "]
BLANK_IDS = ["spaces", "tabs", "nbsp-ideographic", "zero-width", "bom-mixed"]

RENAME = "mutation($id: ID!, $n: String!) { renameBoard(id: $id, name: $n) { id name } }"
CREATE_LABEL = "mutation($b: ID!, $n: String!) { createLabel(boardId: $b, name: $n, color: \"#1f883d\") { id name } }"
UPDATE_LABEL = "mutation($id: ID!, $n: String) { updateLabel(id: $id, name: $n) { id name } }"
ADD_COMMENT = "mutation($t: ID!, $b: String!) { addComment(taskId: $t, body: $b) { id } }"
LIMITS = """{ limits { titleMaxLength descriptionMaxLength boardNameMaxLength labelNameMaxLength
  commentMaxLength personNameMaxLength searchMaxLength pageSize labelsPerTask passwordMinLength
  passwordMaxLength } }"""


def refused(body: dict[str, Any], field: str, message: str) -> None:
    assert codes(body) == ["BAD_USER_INPUT"], body
    err = body["errors"][0]
    assert err["extensions"].get("field") == field, body
    assert err["message"] == message, body


async def _setup(api: Api) -> tuple[dict[str, Any], str, dict[str, Any], str]:
    owner = await api.signup("Blank")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Real")
    label = (await api.ok(CREATE_LABEL, {"b": board, "n": "Bug"}, owner["token"]))["createLabel"]["id"]
    return owner, board, task, label


@pytest.mark.parametrize("blank", BLANKS, ids=BLANK_IDS)
async def test_names_and_titles_of_nothing_visible_are_refused_with_a_sentence(api: Api, blank: str) -> None:
    owner, board, task, label = await _setup(api)
    t = owner["token"]
    refused(await api.gql(CREATE_BOARD, {"n": blank}, t), "name", "Give the board a name.")
    refused(await api.gql(RENAME, {"id": board, "n": blank}, t), "name", "Give the board a name.")
    refused(await api.gql(CREATE_LABEL, {"b": board, "n": blank}, t), "name", "Give the label a name.")
    refused(await api.gql(UPDATE_LABEL, {"id": label, "n": blank}, t), "name", "Give the label a name.")
    refused(await api.gql(CREATE_TASK, {"i": {"boardId": board, "title": blank}}, t), "title",
            "Give the task a title.")
    refused(await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": blank}}, t), "title",
            "Give the task a title.")
    refused(await api.gql(ADD_COMMENT, {"t": task["id"], "b": blank}, t), "body", "Write something to comment.")
    email = f"blank-{uuid.uuid4().hex[:8]}@example.com"
    refused(await api.gql(SIGNUP, {"i": {"email": email, "name": blank, "password": "password-123"}}), "name",
            "Enter your name.")
    # nothing was written: the board keeps its name
    boards = (await api.ok("{ boards { id name } }", None, t))["boards"]
    assert [b["name"] for b in boards if b["id"] == board] == ["Board"]


async def test_a_description_may_still_be_empty(api: Api) -> None:
    owner, _board, task, _label = await _setup(api)
    data = await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"description": "  "}}, owner["token"])
    assert data["updateTask"]["description"] == ""


async def test_limits_are_served_and_are_the_ones_the_checks_use(api: Api) -> None:
    owner, board, task, label = await _setup(api)
    t = owner["token"]
    limits = (await api.ok(LIMITS, None, t))["limits"]
    assert limits == {"titleMaxLength": 200, "descriptionMaxLength": 20_000, "boardNameMaxLength": 200,
                      "labelNameMaxLength": 50, "commentMaxLength": 10_000, "personNameMaxLength": 200,
                      "searchMaxLength": 200, "pageSize": 100, "labelsPerTask": 20, "passwordMinLength": 8,
                      "passwordMaxLength": 1024}
    # at each limit accepted, one past it refused with a sentence that names the limit
    cases = [
        (UPDATE_TASK, lambda v: {"id": task["id"], "i": {"title": v}}, "titleMaxLength", "title",
         "A task's title can be at most 200 characters long."),
        (RENAME, lambda v: {"id": board, "n": v}, "boardNameMaxLength", "name",
         "A board's name can be at most 200 characters long."),
        (UPDATE_LABEL, lambda v: {"id": label, "n": v}, "labelNameMaxLength", "name",
         "A label's name can be at most 50 characters long."),
        (ADD_COMMENT, lambda v: {"t": task["id"], "b": v}, "commentMaxLength", "body",
         "A comment can be at most 10,000 characters long."),
    ]
    for query, variables, key, field, message in cases:
        n = limits[key]
        await api.ok(query, variables("x" * n), t)
        refused(await api.gql(query, variables("y" * (n + 1)), t), field, message)
    # the page size is the setting the `first` check uses
    body = await api.gql("query($b: ID!, $n: Int) { board(id: $b) { tasks(first: $n) { totalCount } } }",
                         {"b": board, "n": limits["pageSize"] + 1}, t)
    refused(body, "first", "Ask for 0 to 100 items at a time.")


async def test_limits_need_no_sign_in(api: Api) -> None:
    """The sign-up form shows the password and name limits before anyone has an account."""
    data = await api.ok("{ limits { passwordMinLength personNameMaxLength } }")
    assert data["limits"] == {"passwordMinLength": 8, "personNameMaxLength": 200}


async def test_a_version_conflict_reads_as_a_sentence_and_keeps_its_extensions(api: Api) -> None:
    owner, _board, task, _label = await _setup(api)
    await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"title": "Mine"}}, owner["token"])
    body = await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": "Stale", "expectedVersion": 1}},
                         owner["token"])
    assert codes(body) == ["CONFLICT"], body
    err = body["errors"][0]
    assert err["message"] == "Someone changed this task meanwhile. Reload to see their change.", err
    assert err["extensions"]["currentVersion"] == 2


async def test_no_message_names_an_input_in_backticks(api: Api) -> None:
    owner, board, task, _label = await _setup(api)
    t = owner["token"]
    bodies = [
        await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"title": None}}, t),
        await api.gql(UPDATE_TASK, {"id": task["id"], "i": {"status": None}}, t),
        await api.gql("mutation($id: ID!) { updateLabel(id: $id, color: \"red\") { id } }", {"id": _label}, t),
        await api.gql("query($b: ID!) { board(id: $b) { tasks(first: -1) { totalCount } } }", {"b": board}, t),
        await api.gql("query($b: ID!, $s: String) { board(id: $b) { tasks(filter: {search: $s}) { totalCount } } }",
                      {"b": board, "s": "z" * 201}, t),
        await api.gql(CREATE_TASK, {"i": {"boardId": board, "title": "a\x00b"}}, t),
        await api.gql("mutation { updateNotificationSettings(input: {emailOnTaskChange: null}) "
                      "{ emailOnTaskChange } }", None, t),
    ]
    for body in bodies:
        assert codes(body) == ["BAD_USER_INPUT"], body
        message = body["errors"][0]["message"]
        assert "`" not in message and message.endswith("."), body


async def test_a_lockout_says_how_long_it_lasts(api: Api) -> None:
    user = await api.signup("Locked")
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"
    for _ in range(5):
        assert codes(await api.gql(login, {"e": user["email"], "p": "wrong-password"})) == ["UNAUTHENTICATED"]
    body = await api.gql(login, {"e": user["email"], "p": "password-123"})
    assert codes(body) == ["RATE_LIMITED"], body
    err = body["errors"][0]
    wait = err["extensions"]["retryAfterSeconds"]
    assert 840 < wait <= 900
    assert err["message"] == "Too many failed logins. Try again in 15 minutes.", err
