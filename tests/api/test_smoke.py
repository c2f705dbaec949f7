from __future__ import annotations

from tests.conftest import Api


async def test_signup_board_task_roundtrip(api: Api) -> None:
    a = await api.signup("Alice")
    data = await api.ok("mutation { createBoard(name: \"Sprint\") { id name viewerRole } }", token=a["token"])
    board = data["createBoard"]
    assert board["viewerRole"] == "OWNER"
    t = await api.ok(
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id title status version supervisor { email } } }",
        {"i": {"boardId": board["id"], "title": "CI/CD Test"}}, a["token"])
    assert t["createTask"]["version"] == 1
    assert t["createTask"]["supervisor"]["email"] == a["email"]


async def test_last_seq_starts_at_zero_and_follows_each_change(api: Api) -> None:
    a = await api.signup("Alice")
    board = (await api.ok('mutation { createBoard(name: "Seq") { id lastSeq } }', token=a["token"]))["createBoard"]
    assert board["lastSeq"] == 0
    for title in ("one", "two"):
        await api.ok("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                     {"i": {"boardId": board["id"], "title": title}}, a["token"])
    read = await api.ok("query($b: ID!) { board(id: $b) { lastSeq } }", {"b": board["id"]}, a["token"])
    assert read["board"]["lastSeq"] == 2
