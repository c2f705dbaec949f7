"""A page of tasks with their people costs a constant number of SQL statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.api.helpers import add_member, create_task, new_board, runtime_of
from tests.conftest import Api

BOARD_PAGE = """query($id: ID!) { board(id: $id) { id name viewerRole
  tasks(first: 50) { totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id title status deadline version
      supervisor { id email name } assignee { id email name } board { id name } } } } } }"""


class StatementCounter:
    def __init__(self, api: Api) -> None:
        rt = runtime_of(api.app)
        # Writes and reads may use separate pools (MySQL reads run in autocommit).
        self.engines = [e.sync_engine for e in (rt.engine, rt.read_engine) if e is not None]
        self.statements: list[str] = []

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    async def count(self, api: Api, query: str, variables: dict[str, Any], token: str) -> tuple[int, dict[str, Any]]:
        self.statements = []
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._on_execute)
        try:
            data = await api.ok(query, variables, token)
        finally:
            for engine in self.engines:
                event.remove(engine, "before_cursor_execute", self._on_execute)
        return len(self.statements), data


async def test_a_board_page_costs_the_same_statements_for_5_and_50_tasks(api: Api) -> None:
    owner = await api.signup("Owner")
    supervisors = [await api.signup(f"Sup{i}") for i in range(3)]
    assignees = [await api.signup(f"Pic{i}") for i in range(4)]
    small, big = await new_board(api, owner, "Small"), await new_board(api, owner, "Big")
    for board in (small, big):
        for u in supervisors + assignees:
            await add_member(api, owner, board, u)
    for board, n in ((small, 5), (big, 50)):
        for i in range(n):
            await create_task(api, supervisors[i % 3], board, f"t{i}", assigneeId=assignees[i % 4]["id"])

    counter = StatementCounter(api)
    n_small, data_small = await counter.count(api, BOARD_PAGE, {"id": small}, owner["token"])
    small_statements = list(counter.statements)
    n_big, data_big = await counter.count(api, BOARD_PAGE, {"id": big}, owner["token"])

    # the pages are real: 5 and 50 tasks, each with a distinct supervisor and assignee
    for data, n in ((data_small, 5), (data_big, 50)):
        tasks = data["board"]["tasks"]
        assert tasks["totalCount"] == n and len(tasks["edges"]) == n
        for e in tasks["edges"]:
            node = e["node"]
            assert node["supervisor"]["id"] != node["assignee"]["id"]
            assert node["supervisor"]["id"] in {u["id"] for u in supervisors}
            assert node["assignee"]["id"] in {u["id"] for u in assignees}
    people = {e["node"]["supervisor"]["id"] for e in data_big["board"]["tasks"]["edges"]} | {
        e["node"]["assignee"]["id"] for e in data_big["board"]["tasks"]["edges"]}
    assert len(people) == 7

    assert n_small > 0
    assert n_big == n_small, (small_statements, counter.statements)
    assert n_big <= 10, counter.statements
    # one read each: the response cache's seq probe, the board, the page, the count, the people
    # (SQLite adds a BEGIN per read)
    selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 5, selects


async def test_my_tasks_and_members_are_batched_too(api: Api) -> None:
    me = await api.signup("Me")
    bosses = [await api.signup(f"Boss{i}") for i in range(4)]
    boards = []
    for boss in bosses:
        b = await new_board(api, boss, f"B {boss['email']}")
        await add_member(api, boss, b, me)
        boards.append(b)
    query = """{ myTasks(first: 100) { totalCount edges { node { id supervisor { email } assignee { email }
        board { id name members { role user { email } } } } } } }"""
    counter = StatementCounter(api)
    for i, (boss, b) in enumerate(zip(bosses, boards, strict=True)):
        await create_task(api, boss, b, f"mine {i}", assigneeId=me["id"])
    n_four, data = await counter.count(api, query, {}, me["token"])
    assert data["myTasks"]["totalCount"] == 4
    for boss, b in zip(bosses, boards, strict=True):
        for j in range(5):
            await create_task(api, boss, b, f"more {j}", assigneeId=me["id"])
    n_many, data = await counter.count(api, query, {}, me["token"])
    assert data["myTasks"]["totalCount"] == 24
    assert {len(e["node"]["board"]["members"]) for e in data["myTasks"]["edges"]} == {2}
    assert n_many == n_four, counter.statements
