"""The query cost limit over HTTP: an expensive query is refused before anything
runs (no SQL), with BAD_USER_INPUT and its cost; the web board's queries are served."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from tests.api.helpers import codes, create_task, new_board, runtime_of
from tests.conftest import Api
from tests.unit.test_query_cost import DOCUMENTS

NESTED = """query($id: ID!, $n: Int) { board(id: $id) { tasks(first: 100) { edges { node {
  board { tasks(first: $n) { edges { node { id title } } } } } } } } }"""
NESTED_BY_FRAGMENTS = """query($id: ID!) { board(id: $id) { tasks(first: 100) { edges { node { ...T } } } } }
  fragment T on Task { board { ... on Board { ...B } } }
  fragment B on Board { tasks(first: 40) { edges { node { id title } } } }"""


class Statements:
    """SQL statements the app's engines run while it is active."""

    def __init__(self, api: Api) -> None:
        rt = runtime_of(api.app)
        self.engines = [e.sync_engine for e in (rt.engine, getattr(rt, "read_engine", None)) if e is not None]
        self.seen: list[str] = []

    def _on(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(statement)

    def __enter__(self) -> Statements:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc: object) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._on)


async def test_an_over_cost_query_is_refused_before_it_runs(api: Api) -> None:
    owner = await api.signup("Costly")
    board = await new_board(api, owner)
    await create_task(api, owner, board, "one")
    with Statements(api) as sql:
        r = await api.post(NESTED, {"id": board, "n": 100}, owner["token"])
    body = r.json()
    assert r.status_code == 400, body
    assert codes(body) == ["BAD_USER_INPUT"] and body["data"] is None, body
    assert body["errors"][0]["extensions"]["cost"] == 3 + 4 * 100 + 3 * 10_000
    assert "cost" in body["errors"][0]["message"]
    assert sql.seen == [], sql.seen  # refused before any resolver read anything
    with Statements(api) as served:  # the same query, cheaper, reads the board
        await api.ok(NESTED, {"id": board, "n": 1}, owner["token"])
    assert served.seen


async def test_variables_change_the_cost(api: Api) -> None:
    owner = await api.signup("Vars")
    board = await new_board(api, owner)
    await create_task(api, owner, board, "one")
    data = await api.ok(NESTED, {"id": board, "n": 30}, owner["token"])  # 3 + 400 + 9,000
    [edge] = data["board"]["tasks"]["edges"]
    assert edge["node"]["board"]["tasks"]["edges"][0]["node"]["title"] == "one"
    body = (await api.post(NESTED, {"id": board, "n": 40}, owner["token"])).json()
    assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["cost"] == 12_403, body
    body = (await api.post(NESTED, {"id": board}, owner["token"])).json()  # absent: the default, 50
    assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["cost"] == 15_403, body


async def test_fragments_are_counted(api: Api) -> None:
    owner = await api.signup("Frags")
    board = await new_board(api, owner)
    with Statements(api) as sql:
        body = (await api.post(NESTED_BY_FRAGMENTS, {"id": board}, owner["token"])).json()
    assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["cost"] == 3 + 400 + 12_000, body
    assert sql.seen == []
    cheaper = NESTED_BY_FRAGMENTS.replace("tasks(first: 40)", "tasks(first: 20)")
    assert (await api.ok(cheaper, {"id": board}, owner["token"]))["board"]["tasks"]["edges"] == []


async def test_the_web_board_query_is_served(api: Api) -> None:
    owner = await api.signup("Web")
    board = await new_board(api, owner)
    await create_task(api, owner, board, "shown")
    data = await api.ok(DOCUMENTS["web BOARD"], {"id": board}, owner["token"])
    assert [e["node"]["title"] for e in data["board"]["tasks"]["edges"]] == ["shown"]
