"""Comments and moves on the live stream: COMMENT_* with the comment, a move as TASK_UPDATED."""

from __future__ import annotations

from tests.live.conftest import LiveServer, events, subscribe

SELECTION = ("kind seq taskId commentId comment { id body editedAt author { email } mentions { email } } "
             "task { id status rank version }")


async def test_comment_and_move_events_reach_a_subscriber_in_seq_order(live: LiveServer) -> None:
    api = live.api
    owner, bob = await api.signup("Owner"), await api.signup("Bob")
    t = owner["token"]
    board = (await api.ok('mutation { createBoard(name: "Live") { id } }', token=t))["createBoard"]["id"]
    await api.ok('mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }',
                 {"b": board, "e": bob["email"]}, t)
    create = 'mutation($b: ID!, $t: String!) { createTask(input: {boardId: $b, title: $t}) { id } }'
    first = (await api.ok(create, {"b": board, "t": "one"}, t))["createTask"]["id"]
    second = (await api.ok(create, {"b": board, "t": "two"}, t))["createTask"]["id"]
    ws = await live.socket(t)
    await subscribe(ws, "1", board, after_seq=3, selection=SELECTION)

    c = (await api.ok('mutation($t: ID!, $b: String!) { addComment(taskId: $t, body: $b) { id } }',
                      {"t": first, "b": f"hey @{bob['email']}"}, t))["addComment"]["id"]
    await api.ok('mutation($id: ID!) { updateComment(id: $id, body: "edited") { id } }', {"id": c}, t)
    await api.ok('mutation($id: ID!) { deleteComment(id: $id) }', {"id": c}, t)
    moved = (await api.ok('mutation($id: ID!, $a: ID!) { moveTask(id: $id, input: {status: TODO, beforeTaskId: $a}) '
                          '{ rank } }', {"id": second, "a": first}, t))["moveTask"]

    added, updated, deleted, move = await events(ws, 4)
    assert [e["seq"] for e in (added, updated, deleted, move)] == [4, 5, 6, 7]
    assert [e["kind"] for e in (added, updated, deleted)] == ["COMMENT_ADDED", "COMMENT_UPDATED", "COMMENT_DELETED"]
    assert all(e["commentId"] == c and e["taskId"] == first for e in (added, updated, deleted))
    assert added["comment"]["body"] == f"hey @{bob['email']}" and added["comment"]["editedAt"] is None
    assert added["comment"]["author"]["email"] == owner["email"]
    assert added["comment"]["mentions"] == [{"email": bob["email"]}]
    assert updated["comment"]["body"] == "edited" and updated["comment"]["editedAt"]
    assert deleted["comment"] is None
    assert move["kind"] == "TASK_UPDATED" and move["taskId"] == second
    assert move["task"]["rank"] == moved["rank"] and move["task"]["version"] == 2
