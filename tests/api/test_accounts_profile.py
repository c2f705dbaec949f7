"""updateProfile: the viewer changes their name, checked by the rule sign-up uses."""

from __future__ import annotations

from typing import Any

from resolvers.validation import PERSON_NAME
from tests.api.helpers import add_member, codes, new_board
from tests.conftest import Api

UPDATE = "mutation($n: String!) { updateProfile(name: $n) { user { id name email } } }"
ME = "query { viewer { user { name } } }"
LIMITS = "query { limits { personNameMaxLength } }"
MEMBERS = "query($id: ID!) { board(id: $id) { members { user { name } } } }"


def field_of(body: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("field") for e in body.get("errors", [])]


async def test_the_viewer_changes_their_name(api: Api) -> None:
    user = await api.signup("Before")
    data = await api.ok(UPDATE, {"n": "  After Name  "}, user["token"])
    assert data["updateProfile"]["user"] == {"id": user["id"], "name": "After Name", "email": user["email"]}
    assert (await api.ok(ME, token=user["token"]))["viewer"]["user"]["name"] == "After Name"


async def test_a_blank_name_is_refused(api: Api) -> None:
    user = await api.signup("Kept")
    body = await api.gql(UPDATE, {"n": " \u200b\t "}, user["token"])
    assert codes(body) == ["BAD_USER_INPUT"] and field_of(body) == ["name"]
    assert (await api.ok(ME, token=user["token"]))["viewer"]["user"]["name"] == "Kept"


async def test_a_name_over_the_served_limit_is_refused(api: Api) -> None:
    user = await api.signup("Kept")
    limit = (await api.ok(LIMITS))["limits"]["personNameMaxLength"]
    assert limit == PERSON_NAME.max_len
    assert (await api.ok(UPDATE, {"n": "é" * limit}, user["token"]))["updateProfile"]["user"]["name"] == "é" * limit
    body = await api.gql(UPDATE, {"n": "é" * (limit + 1)}, user["token"])
    assert codes(body) == ["BAD_USER_INPUT"] and field_of(body) == ["name"]


async def test_changing_a_name_needs_a_signed_in_caller(api: Api) -> None:
    assert codes(await api.gql(UPDATE, {"n": "Anyone"})) == ["UNAUTHENTICATED"]


async def test_a_board_read_shows_the_new_name_at_once(api: Api) -> None:
    """Board reads are cached by the board's seq; a new name takes no seq."""
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    for _ in range(2):  # the second read is a cache hit
        names = [m["user"]["name"] for m in (await api.ok(MEMBERS, {"id": board}, owner["token"]))["board"]["members"]]
    assert names == ["Owner", "Member"]
    await api.ok(UPDATE, {"n": "Renamed"}, member["token"])
    names = [m["user"]["name"] for m in (await api.ok(MEMBERS, {"id": board}, owner["token"]))["board"]["members"]]
    assert names == ["Owner", "Renamed"]
