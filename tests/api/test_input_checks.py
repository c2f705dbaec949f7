"""Inputs refused at the door: emails with control characters or invisible
separators, and `Date` values in any form but YYYY-MM-DD."""

from __future__ import annotations

import uuid

import pytest

from tests.api.helpers import CREATE_TASK, codes, new_board
from tests.conftest import SIGNUP, Api


def email_with(char: str, where: str) -> str:
    local = f"u{uuid.uuid4().hex[:10]}"
    return {
        "local": f"{local[:4]}{char}{local[4:]}@example.com",
        "domain": f"{local}@exam{char}ple.com",
        "end": f"{local}@example.com{char}",
        "start": f"{char}{local}@example.com",
    }[where]


INVISIBLE = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\u2028", "\u2029", "\n", "\t",
             "\u200b", "\ufeff"]


@pytest.mark.parametrize("where", ["local", "domain", "end", "start"])
@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
async def test_sign_up_refuses_control_and_invisible_characters_in_the_email(api: Api, char: str,
                                                                             where: str) -> None:
    body = await api.gql(SIGNUP, {"i": {"email": email_with(char, where), "name": "N",
                                        "password": "password-123"}})
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"].get("field") == "email", body


async def test_sign_up_still_takes_an_ordinary_email_with_spaces_around(api: Api) -> None:
    email = f"Plain-{uuid.uuid4().hex[:8]}@Example.com"
    data = await api.ok(SIGNUP, {"i": {"email": f"  {email} ", "name": "N", "password": "password-123"}})
    assert data["signUp"]["user"]["email"] == email.lower()


NOT_YYYY_MM_DD = ["2026-W49-4", "20261203", "2026-342", "2026-12-3", "2026-1-03", "2026-13-01", "2026-02-30",
                  " 2026-12-03", "2026-12-03 ", "2026-12-03T00:00", "\uff12\uff10\uff12\uff16-12-03", "2026/12/03", "",
                  "+2026-12-03", "2026-12-03\n"]


@pytest.mark.parametrize("value", NOT_YYYY_MM_DD)
async def test_date_variables_take_only_yyyy_mm_dd(api: Api, value: str) -> None:
    owner = await api.signup("Dates")
    board = await new_board(api, owner)
    r = await api.post(CREATE_TASK, {"i": {"boardId": board, "title": "T", "deadline": value}}, owner["token"])
    body = r.json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body.get("data") is None, body
    assert "YYYY-MM-DD" in body["errors"][0]["message"], body


@pytest.mark.parametrize("value", NOT_YYYY_MM_DD)
async def test_date_literals_take_only_yyyy_mm_dd(api: Api, value: str) -> None:
    owner = await api.signup("Dates")
    literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    query = f"{{ myTasks(filter: {{dueBefore: {literal}}}) {{ totalCount }} }}"
    body = (await api.post(query, token=owner["token"])).json()
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body.get("data") is None, body
    assert "YYYY-MM-DD" in body["errors"][0]["message"], body


async def test_a_real_yyyy_mm_dd_date_is_taken_both_ways(api: Api) -> None:
    owner = await api.signup("Dates")
    board = await new_board(api, owner)
    data = await api.ok(CREATE_TASK, {"i": {"boardId": board, "title": "T", "deadline": "2028-02-29"}},
                        owner["token"])
    assert data["createTask"]["deadline"] == "2028-02-29"
    literal = f'mutation {{ createTask(input: {{boardId: "{board}", title: "T", deadline: "2028-02-29"}}) {{ deadline }} }}'
    assert (await api.ok(literal, token=owner["token"]))["createTask"]["deadline"] == "2028-02-29"
