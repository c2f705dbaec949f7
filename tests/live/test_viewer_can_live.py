"""`viewerCan` in a live event is the receiving viewer's: a render shared between
subscribers must not hand one person's permissions to another."""

from __future__ import annotations

from tests.live.conftest import LiveServer, events, subscribe

ADD = "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }"
CREATE = 'mutation($b: ID!) { createTask(input: {boardId: $b, title: "Mine"}) { id } }'


async def test_each_subscriber_gets_its_own_permissions(live: LiveServer) -> None:
    owner, member = await live.api.signup("Olga"), await live.api.signup("Max")
    board = (await live.api.ok('mutation { createBoard(name: "Perms") { id } }', token=owner["token"]))
    board_id = board["createBoard"]["id"]
    await live.api.ok(ADD, {"b": board_id, "e": member["email"]}, owner["token"])
    selection = "kind seq task { id viewerCan { update delete updateReason } }"
    ws_owner, ws_member = await live.socket(owner["token"]), await live.socket(member["token"])
    await subscribe(ws_owner, "o", board_id, after_seq=1, selection=selection)
    await subscribe(ws_member, "m", board_id, after_seq=1, selection=selection)
    await live.api.ok(CREATE, {"b": board_id}, owner["token"])
    (mine,) = await events(ws_owner, 1)
    (theirs,) = await events(ws_member, 1)
    assert mine["task"]["viewerCan"] == {"update": True, "delete": True, "updateReason": None}
    assert theirs["task"]["viewerCan"]["update"] is False and theirs["task"]["viewerCan"]["delete"] is False
    assert theirs["task"]["viewerCan"]["updateReason"]
