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
