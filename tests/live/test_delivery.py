"""boardEvents: what is delivered, in what order, to whom, and for how long."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from tests.conftest import test_settings
from tests.live.conftest import LiveServer, closed_with, events, next_message, serve, subscribe

CREATE = 'mutation($b: ID!, $t: String!, $a: ID) { createTask(input: {boardId: $b, title: $t, assigneeId: $a}) { id version } }'
UPDATE = "mutation($id: ID!, $i: UpdateTaskInput!) { updateTask(id: $id, input: $i) { id version } }"
DELETE = "mutation($id: ID!) { deleteTask(id: $id) }"
ADD = 'mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }'
REMOVE = "mutation($b: ID!, $u: ID!) { removeBoardMember(boardId: $b, userId: $u) }"


async def board_with(live: LiveServer, *names: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    users = [await live.api.signup(n) for n in names]
    owner = users[0]
    board = (await live.api.ok('mutation { createBoard(name: "Live") { id } }', token=owner["token"]))["createBoard"]
    return board, users


async def test_every_kind_in_seq_order_to_two_subscribers(live: LiveServer) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    ws1 = await live.socket(owner["token"])
    ws2 = await live.socket(owner["token"])
    await subscribe(ws1, "1", board["id"], after_seq=0)
    await subscribe(ws2, "2", board["id"], after_seq=0)
    api, t = live.api, owner["token"]
    await api.ok(ADD, {"b": board["id"], "e": bob["email"]}, t)
    task = (await api.ok(CREATE, {"b": board["id"], "t": "CI/CD Test", "a": bob["id"]}, t))["createTask"]
    await api.ok(UPDATE, {"id": task["id"], "i": {"status": "DONE"}}, bob["token"])
    await api.ok(UPDATE, {"id": task["id"], "i": {"title": "Renamed"}}, t)
    await api.ok(DELETE, {"id": task["id"]}, t)
    await api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, t)
    for ws in (ws1, ws2):
        got = await events(ws, 6)
        assert [e["seq"] for e in got] == [1, 2, 3, 4, 5, 6]
        assert [e["kind"] for e in got] == ["MEMBER_ADDED", "TASK_CREATED", "TASK_UPDATED", "TASK_UPDATED",
                                            "TASK_DELETED", "MEMBER_REMOVED"]
        added, created, done, renamed, deleted, removed = got
        assert added["member"]["user"]["email"] == bob["email"] and added["task"] is None
        assert created["task"]["title"] == "CI/CD Test" and created["task"]["version"] == 1
        assert created["task"]["assignee"]["id"] == bob["id"] and created["actorEmail"] == owner["email"]
        assert done["task"]["status"] == "DONE" and done["task"]["version"] == 2 and done["actorEmail"] == bob["email"]
        assert renamed["task"]["title"] == "Renamed" and renamed["task"]["version"] == 3
        assert deleted["task"] is None and deleted["taskId"] == task["id"]
        assert removed["member"]["user"]["id"] == bob["id"]
        assert all(e["boardId"] == board["id"] and e["at"].endswith("Z") for e in got)


async def test_rolled_back_change_sends_nothing(live: LiveServer) -> None:
    board, (owner, outsider) = await board_with(live, "Owner", "Out")
    ws = await live.socket(owner["token"])
    await subscribe(ws, "1", board["id"], after_seq=0)
    task = (await live.api.ok(CREATE, {"b": board["id"], "t": "x"}, owner["token"]))["createTask"]
    bad = await live.api.gql(UPDATE, {"id": task["id"], "i": {"title": "y", "expectedVersion": 7}}, owner["token"])
    assert bad["errors"][0]["extensions"]["code"] == "CONFLICT"
    bad = await live.api.gql(CREATE, {"b": board["id"], "t": "z", "a": outsider["id"]}, owner["token"])
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    await live.api.ok(UPDATE, {"id": task["id"], "i": {"title": "ok"}}, owner["token"])
    got = await events(ws, 2)
    assert [e["seq"] for e in got] == [1, 2] and got[1]["task"]["title"] == "ok"


async def test_replay_after_seq_with_concurrent_commits(live: LiveServer) -> None:
    board, (owner,) = await board_with(live, "Owner")
    for i in range(30):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"before {i}"}, owner["token"])
    ws = await live.socket(owner["token"])

    async def writer() -> None:
        for i in range(30):
            await live.api.ok(CREATE, {"b": board["id"], "t": f"during {i}"}, owner["token"])

    writing = asyncio.create_task(writer())
    await subscribe(ws, "r", board["id"], after_seq=10)
    await writing
    got = await events(ws, 50)
    assert [e["seq"] for e in got] == list(range(11, 61))
    await asyncio.sleep(0.3)
    await live.api.ok(CREATE, {"b": board["id"], "t": "after"}, owner["token"])
    (last,) = await events(ws, 1)
    assert last["seq"] == 61


async def test_reconnect_with_after_seq_loses_nothing(live: LiveServer) -> None:
    board, (owner,) = await board_with(live, "Owner")
    ws = await live.socket(owner["token"])
    await subscribe(ws, "1", board["id"], after_seq=0)
    await live.api.ok(CREATE, {"b": board["id"], "t": "one"}, owner["token"])
    (first,) = await events(ws, 1)
    await ws.close()
    for i in range(3):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"missed {i}"}, owner["token"])
    ws = await live.socket(owner["token"])
    await subscribe(ws, "1", board["id"], after_seq=first["seq"])
    got = await events(ws, 3)
    assert [e["task"]["title"] for e in got] == ["missed 0", "missed 1", "missed 2"]


async def test_non_member_gets_not_found_and_socket_stays(live: LiveServer) -> None:
    board, (_owner, stranger) = await board_with(live, "Owner", "Stranger")
    ws = await live.socket(stranger["token"])
    await subscribe(ws, "x", board["id"])
    msg = await next_message(ws)
    assert msg["id"] == "x" and msg["type"] == "error"
    assert msg["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await subscribe(ws, "y", "brd_not_a_real_one")
    msg = await next_message(ws)
    assert msg["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_message(ws))["type"] == "pong"


async def test_removed_member_gets_its_event_then_not_found(live: LiveServer) -> None:
    board, (owner, bob) = await board_with(live, "Owner", "Bob")
    await live.api.ok(ADD, {"b": board["id"], "e": bob["email"]}, owner["token"])
    ws = await live.socket(bob["token"])
    await subscribe(ws, "b", board["id"], after_seq=1)
    await live.api.ok(CREATE, {"b": board["id"], "t": "seen"}, owner["token"])
    await live.api.ok(REMOVE, {"b": board["id"], "u": bob["id"]}, owner["token"])
    await live.api.ok(CREATE, {"b": board["id"], "t": "not for bob"}, owner["token"])
    got = await events(ws, 2)
    assert [e["kind"] for e in got] == ["TASK_CREATED", "MEMBER_REMOVED"]
    msg = await next_message(ws)
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "NOT_FOUND"
    await ws.send(json.dumps({"type": "ping"}))
    assert (await next_message(ws))["type"] == "pong"  # nothing about "not for bob" came before it


async def test_expired_token_closes_4403(database_url: str) -> None:
    async with serve(test_settings(database_url, access_token_ttl=2)) as live:
        board, (owner,) = await board_with(live, "Owner")
        ws = await live.socket(owner["token"])
        await subscribe(ws, "1", board["id"])
        assert await closed_with(ws, timeout=6) == 4403


async def test_slow_consumer_is_cut_off_and_can_resume(database_url: str) -> None:
    async with serve(test_settings(database_url, live_subscriber_buffer=8)) as live:
        board, (owner,) = await board_with(live, "Owner")
        big = "x" * 19_000
        task = (await live.api.ok(CREATE, {"b": board["id"], "t": "slow"}, owner["token"]))["createTask"]
        # A client that never reads: its small socket buffer fills, then the server's
        # write buffer, then our bounded queue, and then we cut it off.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", int(live.url.rsplit(":", 1)[1])))
        sock.setblocking(False)
        slow = await live.socket(owner["token"], max_queue=1, sock=sock)
        fast = await live.socket(owner["token"])
        for i in range(45):  # 45 x 40 events x 19 kB: far more than the buffers on the way
            await subscribe(slow, f"s{i}", board["id"], after_seq=1, selection="seq task { description }")
        await subscribe(fast, "f", board["id"], after_seq=1)
        transport = slow.transport
        transport.pause_reading()
        for i in range(40):
            await live.api.ok(UPDATE, {"id": task["id"], "i": {"description": f"{big}{i}"}}, owner["token"])
        got = await events(fast, 40, timeout=10)  # the fast one is not held back
        assert got[-1]["seq"] == 41
        transport.resume_reading()
        assert await closed_with(slow, timeout=10) == 1013
        again = await live.socket(owner["token"])
        await subscribe(again, "r", board["id"], after_seq=30)
        assert [e["seq"] for e in await events(again, 11)] == list(range(31, 42))


async def test_without_after_seq_starts_from_now(live: LiveServer) -> None:
    board, (owner,) = await board_with(live, "Owner")
    await live.api.ok(CREATE, {"b": board["id"], "t": "old"}, owner["token"])
    read = await live.api.ok("query($b: ID!) { board(id: $b) { lastSeq } }", {"b": board["id"]}, owner["token"])
    assert read["board"]["lastSeq"] == 1
    ws = await live.socket(owner["token"])
    await subscribe(ws, "now", board["id"])
    # The protocol has no "subscribed" reply: change the board until the stream shows a change.
    for i in range(50):
        await live.api.ok(CREATE, {"b": board["id"], "t": f"new {i}"}, owner["token"])
        try:
            (first,) = await events(ws, 1, timeout=0.2)
            break
        except TimeoutError:
            continue
    else:
        raise AssertionError("the subscription never went live")
    assert first["seq"] > 1 and first["task"]["title"].startswith("new")
