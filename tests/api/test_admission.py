"""The HTTP endpoint puts queries, not mutations, through the QueryGate while the
process writes (taskboard/admission.py; the gate itself: tests/unit)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from tests.api.helpers import UPDATE_TASK, create_task, new_board
from tests.conftest import Api


def endpoint_of(app: Any) -> Any:
    return app.state.taskboard.endpoint


async def test_queries_wait_for_a_place_while_the_process_writes_and_mutations_do_not(api: Api) -> None:
    owner = await api.signup("Gatekeeper")
    board = await new_board(api, owner)
    task = await create_task(api, owner, board, "Through the gate")
    endpoint = endpoint_of(api.app)
    gate = endpoint.query_gate
    assert gate is not None and gate.limit == 8  # the default setting
    waited = gate.waited
    read = "query($id: ID!) { board(id: $id) { name } }"
    writes = endpoint.services.gate
    async with AsyncExitStack() as held:
        # A write transaction in flight, as the gate counts them (entering the gate
        # itself would, on SQLite, hold the one writer's place the mutation needs).
        writes.writers += 1
        held.callback(writes._leave)
        for _ in range(gate.limit):
            await held.enter_async_context(gate.query())  # every place taken
        query = asyncio.create_task(api.ok(read, {"id": board}, owner["token"]))
        await asyncio.sleep(0.2)
        assert not query.done() and gate.waited == waited + 1
        # A mutation is not held back (it is what the gate makes room for).
        changed = await asyncio.wait_for(
            api.ok(UPDATE_TASK, {"id": task["id"], "i": {"status": "DONE"}}, owner["token"]), 30)
        assert changed["updateTask"]["status"] == "DONE"
        assert not query.done()
    assert (await asyncio.wait_for(query, 30))["board"]["name"]
    assert gate.running == 0
