"""MEMBER_ROLE_CHANGED reaches subscribers live, in seq order, with the member."""

from __future__ import annotations

from tests.api.helpers import add_member, new_board
from tests.live.conftest import LiveServer, events, subscribe

CHANGE_ROLE = """mutation($b: ID!, $u: ID!, $r: BoardRole!) {
  changeMemberRole(boardId: $b, userId: $u, role: $r) { role } }"""


async def test_role_change_is_pushed_live(live: LiveServer) -> None:
    api = live.api
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    ws = await live.socket(member["token"])
    await subscribe(ws, "1", board, after_seq=1)
    await api.ok(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "OWNER"}, owner["token"])
    (event,) = await events(ws, 1)
    assert event["kind"] == "MEMBER_ROLE_CHANGED" and event["seq"] == 2
    assert event["member"] == {"role": "OWNER", "user": {"id": member["id"], "email": member["email"]}}
    assert event["actorEmail"] == owner["email"]
