"""`viewerEvents`: the boards list follows membership live, on the socket a person
already has open: added, removed, renamed, deleted, invited."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.conftest import mark_verified
from tests.live.conftest import LiveServer, next_message
from tests.live.test_multi_instance import server, shared_redis  # noqa: F401  (a fixture)

SELECTION = "kind boardId boardName role byName invitationId at"
ADD = "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }"
REMOVE = "mutation($b: ID!, $u: ID!) { removeBoardMember(boardId: $b, userId: $u) }"
RENAME = "mutation($b: ID!, $n: String!) { renameBoard(id: $b, name: $n) { id } }"
DELETE = "mutation($b: ID!) { deleteBoard(id: $b) }"
INVITE = "mutation($b: ID!, $e: String!) { inviteToBoard(boardId: $b, email: $e) { id } }"
CREATE_TASK = 'mutation($b: ID!) { createTask(input: {boardId: $b, title: "noise"}) { id } }'


async def watch(ws: ClientConnection, op_id: str = "v", timeout: float = 5) -> None:
    """Subscribe, and wait for the first event: from it on every change is pushed
    (the moment a client (re)loads its boards list)."""
    await ws.send(json.dumps({"id": op_id, "type": "subscribe",
                              "payload": {"query": f"subscription {{ viewerEvents {{ {SELECTION} }} }}"}}))
    first = await next_event(ws, timeout)
    assert first["kind"] == "SUBSCRIBED" and first["boardId"] is None, first


async def next_event(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    msg = await next_message(ws, timeout)
    assert msg["type"] == "next", msg
    event: dict[str, Any] = msg["payload"]["data"]["viewerEvents"]
    return event


async def _board(live: LiveServer, owner: dict[str, Any], name: str) -> str:
    data = await live.api.ok("mutation($n: String!) { createBoard(name: $n) { id } }", {"n": name}, owner["token"])
    return str(data["createBoard"]["id"])


async def test_a_person_sees_boards_come_change_and_go(live: LiveServer, app: Any) -> None:
    owner, ada = await live.api.signup("Olga"), await live.api.signup("Ada")
    kept, gone = await _board(live, owner, "Kept"), await _board(live, owner, "Gone")
    ws = await live.socket(ada["token"])
    await watch(ws)

    await live.api.ok(ADD, {"b": kept, "e": ada["email"]}, owner["token"])
    added = await next_event(ws)
    assert {k: added[k] for k in ("kind", "boardId", "boardName", "role", "byName")} == {
        "kind": "BOARD_ADDED", "boardId": kept, "boardName": "Kept", "role": "MEMBER", "byName": "Olga"}
    await live.api.ok(CREATE_TASK, {"b": kept}, owner["token"])  # a task change is not a viewer event
    await live.api.ok(RENAME, {"b": kept, "n": "Kept too"}, owner["token"])
    renamed = await next_event(ws)
    assert (renamed["kind"], renamed["boardId"], renamed["boardName"]) == ("BOARD_RENAMED", kept, "Kept too")
    await live.api.ok(ADD, {"b": gone, "e": ada["email"]}, owner["token"])
    assert (await next_event(ws))["kind"] == "BOARD_ADDED"
    await live.api.ok(DELETE, {"b": gone}, owner["token"])
    deleted = await next_event(ws)
    assert (deleted["kind"], deleted["boardId"]) == ("BOARD_DELETED", gone)
    await live.api.ok(REMOVE, {"b": kept, "u": ada["id"]}, owner["token"])
    removed = await next_event(ws)
    assert (removed["kind"], removed["boardId"]) == ("BOARD_REMOVED", kept)
    # no longer a member: its renames are not hers to hear
    await live.api.ok(RENAME, {"b": kept, "n": "Private again"}, owner["token"])
    third = await _board(live, owner, "Third")
    await mark_verified(app, ada["id"])
    await live.api.ok(INVITE, {"b": third, "e": ada["email"]}, owner["token"])
    invited = await next_event(ws)
    assert (invited["kind"], invited["boardId"], invited["boardName"], invited["byName"]) == (
        "INVITATION_RECEIVED", third, "Third", "Olga")
    assert invited["invitationId"]


async def test_other_people_hear_nothing(live: LiveServer) -> None:
    owner, ada, bob = [await live.api.signup(n) for n in ("Olga", "Ada", "Bob")]
    board = await _board(live, owner, "Theirs")
    ws = await live.socket(bob["token"])
    await watch(ws)
    await live.api.ok(ADD, {"b": board, "e": ada["email"]}, owner["token"])
    await live.api.ok(RENAME, {"b": board, "n": "Renamed"}, owner["token"])
    await live.api.ok(ADD, {"b": board, "e": bob["email"]}, owner["token"])
    first = await next_event(ws)
    assert (first["kind"], first["boardName"]) == ("BOARD_ADDED", "Renamed")


async def test_a_person_added_on_one_instance_hears_it_on_the_other(
        database_url: str, shared_redis: str, tmp_path: Path) -> None:  # noqa: F811
    async with server(database_url, shared_redis, tmp_path) as a, server(database_url, shared_redis, tmp_path) as b:
        owner, ada = await a.api.signup("Olga"), await a.api.signup("Ada")
        board = await _board(a, owner, "Across")
        ws = await b.socket(ada["token"])
        await watch(ws, timeout=10)
        await a.api.ok(ADD, {"b": board, "e": ada["email"]}, owner["token"])
        added = await next_event(ws, timeout=10)
        assert (added["kind"], added["boardId"]) == ("BOARD_ADDED", board)
        await a.api.ok(RENAME, {"b": board, "n": "Across, renamed"}, owner["token"])
        renamed = await next_event(ws, timeout=10)
        assert (renamed["kind"], renamed["boardName"]) == ("BOARD_RENAMED", "Across, renamed")
