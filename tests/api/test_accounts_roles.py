"""Roles and leaving: changeMemberRole, leaveBoard, and the rule that a board keeps an owner."""

from __future__ import annotations

from typing import Any

from tests.api.helpers import REMOVE_MEMBER, activity, add_member, board_seqs, codes, new_board
from tests.conftest import Api

CHANGE_ROLE = """mutation($b: ID!, $u: ID!, $r: BoardRole!) {
  changeMemberRole(boardId: $b, userId: $u, role: $r) { role addedAt user { id email } } }"""
LEAVE = "mutation($b: ID!) { leaveBoard(boardId: $b) }"
MEMBERS = "query($id: ID!) { board(id: $id) { viewerRole members { role user { id } } } }"


async def roles(api: Api, viewer: dict[str, Any], board: str) -> dict[str, str]:
    data = await api.ok(MEMBERS, {"id": board}, viewer["token"])
    return {m["user"]["id"]: m["role"] for m in data["board"]["members"]}


async def test_owner_promotes_and_demotes_a_member_with_one_event_each(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    data = await api.ok(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "OWNER"}, owner["token"])
    assert data["changeMemberRole"]["role"] == "OWNER"
    assert data["changeMemberRole"]["user"]["id"] == member["id"]
    assert (await roles(api, member, board))[member["id"]] == "OWNER"
    # The new owner may now demote the first one: the board still has an owner.
    data = await api.ok(CHANGE_ROLE, {"b": board, "u": owner["id"], "r": "MEMBER"}, member["token"])
    assert data["changeMemberRole"]["role"] == "MEMBER"
    assert await board_seqs(api, board) == [1, 2, 3]
    entries = await activity(api, member, board)
    assert [e["kind"] for e in entries[:2]] == ["MEMBER_ROLE_CHANGED", "MEMBER_ROLE_CHANGED"]
    assert entries[0]["changes"] == {"role": {"from": "OWNER", "to": "MEMBER"}}
    assert entries[0]["actorEmail"] == member["email"]
    assert owner["email"] in entries[0]["message"]


async def test_the_same_role_again_changes_nothing(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    await api.ok(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "MEMBER"}, owner["token"])
    assert await board_seqs(api, board) == [1]


async def test_the_last_owner_cannot_be_demoted_remove_or_leave(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    body = await api.gql(CHANGE_ROLE, {"b": board, "u": owner["id"], "r": "MEMBER"}, owner["token"])
    assert codes(body) == ["CONFLICT"]
    body = await api.gql(LEAVE, {"b": board}, owner["token"])
    assert codes(body) == ["CONFLICT"]
    body = await api.gql(REMOVE_MEMBER, {"b": board, "u": owner["id"]}, owner["token"])
    assert codes(body) == ["CONFLICT"]
    assert (await roles(api, owner, board))[owner["id"]] == "OWNER"
    assert await board_seqs(api, board) == [1]


async def test_who_may_change_roles(api: Api) -> None:
    owner, member, outsider = await api.signup("Owner"), await api.signup("Member"), await api.signup("Out")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    body = await api.gql(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "OWNER"}, member["token"])
    assert codes(body) == ["FORBIDDEN"]
    body = await api.gql(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "OWNER"}, outsider["token"])
    assert codes(body) == ["NOT_FOUND"]
    body = await api.gql(CHANGE_ROLE, {"b": board, "u": outsider["id"], "r": "OWNER"}, owner["token"])
    assert codes(body) == ["NOT_FOUND"]
    body = await api.gql(CHANGE_ROLE, {"b": board, "u": "garbage", "r": "OWNER"}, owner["token"])
    assert codes(body) == ["NOT_FOUND"]
    body = await api.gql(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "OWNER"})
    assert codes(body) == ["UNAUTHENTICATED"]
    assert await board_seqs(api, board) == [1]


async def test_a_member_leaves_and_loses_the_board(api: Api) -> None:
    owner, member, outsider = await api.signup("Owner"), await api.signup("Member"), await api.signup("Out")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    assert (await api.ok(LEAVE, {"b": board}, member["token"]))["leaveBoard"] is True
    assert member["id"] not in await roles(api, owner, board)
    body = await api.gql(MEMBERS, {"id": board}, member["token"])
    assert body["data"]["board"] is None or codes(body) == ["NOT_FOUND"]
    assert codes(await api.gql(LEAVE, {"b": board}, member["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(LEAVE, {"b": board}, outsider["token"])) == ["NOT_FOUND"]
    entries = await activity(api, owner, board)
    assert entries[0]["kind"] == "MEMBER_REMOVED" and entries[0]["actorEmail"] == member["email"]


async def test_an_owner_leaves_when_another_owner_remains(api: Api) -> None:
    owner, other = await api.signup("Owner"), await api.signup("Other")
    board = await new_board(api, owner)
    await add_member(api, owner, board, other, role="OWNER")
    assert (await api.ok(LEAVE, {"b": board}, owner["token"]))["leaveBoard"] is True
    assert await roles(api, other, board) == {other["id"]: "OWNER"}
