"""Text of 4-byte UTF-8 characters (emoji, rare CJK) at the lengths validation allows
is stored and read back unchanged, on SQLite and on MySQL."""

from __future__ import annotations

import uuid

from tests.api.helpers import GET_BOARD, create_task, get_task, new_board, update_task
from tests.conftest import SIGNUP, Api

EMOJI = "😀"
MIXED = "𠜎😀🦄𝄞"  # a CJK extension B character, two emoji and a musical symbol: all 4 bytes


def four_byte(n: int) -> str:
    return (MIXED * (n // len(MIXED) + 1))[:n]


async def test_a_description_of_20000_emoji_round_trips(api: Api) -> None:
    owner = await api.signup("Emo")
    board = await new_board(api, owner)
    description = EMOJI * 20_000  # 80,000 bytes: more than a MySQL TEXT holds
    task = await create_task(api, owner, board, "Long", description=description)
    assert task["description"] == description
    stored = await get_task(api, owner, task["id"])
    assert stored is not None and stored["description"] == description

    other = four_byte(20_000)
    body = await update_task(api, owner, task["id"], description=other)
    assert "errors" not in body, body
    stored = await get_task(api, owner, task["id"])
    assert stored is not None and stored["description"] == other


async def test_titles_and_names_of_4_byte_characters_round_trip(api: Api) -> None:
    name = four_byte(200)
    email = f"x-{uuid.uuid4().hex[:8]}@example.com"
    user = (await api.ok(SIGNUP, {"i": {"email": email, "name": name, "password": "password-123"}}))["signUp"]
    assert user["user"]["name"] == name
    token = user["accessToken"]

    board_name = four_byte(200)
    board = await new_board(api, {"token": token}, board_name)
    got = await api.ok(GET_BOARD, {"id": board}, token)
    assert got["board"]["name"] == board_name

    title = four_byte(200)
    task = await create_task(api, {"token": token}, board, title)
    stored = await get_task(api, {"token": token}, task["id"])
    assert stored is not None and stored["title"] == title


async def test_emails_that_differ_in_one_emoji_are_two_accounts(api: Api) -> None:
    # A collation that weighs every supplementary character the same (MySQL's
    # utf8mb4_general_ci and utf8mb4_unicode_ci) made the second a duplicate.
    tag = uuid.uuid4().hex[:8]
    ids = set()
    for ch in ("😀", "😁"):
        email = f"{ch}{tag}@example.com"
        data = await api.ok(SIGNUP, {"i": {"email": email, "name": "E", "password": "password-123"}})
        assert data["signUp"]["user"]["email"] == email
        ids.add(data["signUp"]["user"]["id"])
    assert len(ids) == 2
