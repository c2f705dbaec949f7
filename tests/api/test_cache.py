"""The board read cache: hits only where the answer cannot have changed or leaked."""

from __future__ import annotations

import asyncio

from schema.execution import Operations
from tests.conftest import Api

READ = ("query($b: ID!) { board(id: $b) { name viewerRole lastSeq tasks(first: 10) { totalCount "
        "edges { node { title status version assignee { email } } } } members { user { email } role } } }")


async def read(api: Api, board_id: str, token: str) -> tuple[dict, str | None]:
    r = await api.post(READ, {"b": board_id}, token)
    return r.json(), r.headers.get("x-cache")


async def test_repeat_read_hits_and_any_change_invalidates(api: Api) -> None:
    a = await api.signup("Cache")
    board = (await api.ok('mutation { createBoard(name: "C") { id } }', token=a["token"]))["createBoard"]
    first, cache = await read(api, board["id"], a["token"])
    assert cache is None
    again, cache = await read(api, board["id"], a["token"])
    assert cache == "hit" and again == first
    await api.ok('mutation($b: ID!) { createTask(input: {boardId: $b, title: "new"}) { id } }', {"b": board["id"]},
                 a["token"])
    after, cache = await read(api, board["id"], a["token"])
    assert cache is None
    assert after["data"]["board"]["tasks"]["totalCount"] == 1 and after["data"]["board"]["lastSeq"] == 1


async def test_no_hit_across_viewers_and_none_after_removal(api: Api) -> None:
    owner, member = await api.signup("Own"), await api.signup("Mem")
    board = (await api.ok('mutation { createBoard(name: "C") { id } }', token=owner["token"]))["createBoard"]
    await api.ok('mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }',
                 {"b": board["id"], "e": member["email"]}, owner["token"])
    mine, _ = await read(api, board["id"], owner["token"])
    mine, cache = await read(api, board["id"], owner["token"])
    assert cache == "hit" and mine["data"]["board"]["viewerRole"] == "OWNER"
    theirs, cache = await read(api, board["id"], member["token"])
    assert cache is None and theirs["data"]["board"]["viewerRole"] == "MEMBER"
    theirs, cache = await read(api, board["id"], member["token"])
    assert cache == "hit"
    await api.ok("mutation($b: ID!, $u: ID!) { removeBoardMember(boardId: $b, userId: $u) }",
                 {"b": board["id"], "u": member["id"]}, owner["token"])
    gone, cache = await read(api, board["id"], member["token"])
    assert cache is None and gone["data"]["board"] is None
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_outsiders_errors_and_activity_are_never_cached(api: Api) -> None:
    owner, stranger = await api.signup("Own"), await api.signup("Str")
    board = (await api.ok('mutation { createBoard(name: "C") { id } }', token=owner["token"]))["createBoard"]
    for _ in range(2):
        body, cache = await read(api, board["id"], stranger["token"])
        assert cache is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    bad = 'query($b: ID!) { board(id: $b) { tasks(first: 101) { totalCount } } }'
    for _ in range(2):
        r = await api.post(bad, {"b": board["id"]}, owner["token"])
        assert r.headers.get("x-cache") is None and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    log = 'query($b: ID!) { board(id: $b) { activity { edges { node { message } } } } }'
    for _ in range(2):
        r = await api.post(log, {"b": board["id"]}, owner["token"])
        assert r.headers.get("x-cache") is None
    mixed = 'query($b: ID!) { board(id: $b) { name } viewer { user { email } } }'
    for _ in range(2):
        r = await api.post(mixed, {"b": board["id"]}, owner["token"])
        assert r.headers.get("x-cache") is None


async def test_concurrent_misses_compute_once_and_all_get_it(api: Api) -> None:
    """After a change, readers that arrive while the new answer is being computed
    wait for it: one computation, the same body for all, and still no stale one."""
    a = await api.signup("Flight")
    board = (await api.ok('mutation { createBoard(name: "F") { id } }', token=a["token"]))["createBoard"]
    await api.ok('mutation($b: ID!) { createTask(input: {boardId: $b, title: "t"}) { id } }', {"b": board["id"]},
                 a["token"])
    runs = []
    real_run = Operations.run

    async def slow_run(self: Operations, *args: object, **kw: object) -> object:
        runs.append(1)
        await asyncio.sleep(0.2)  # a slow page: everyone else arrives meanwhile
        return await real_run(self, *args, **kw)

    Operations.run = slow_run  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(*(read(api, board["id"], a["token"]) for _ in range(8)))
    finally:
        Operations.run = real_run  # type: ignore[method-assign]
    assert len(runs) == 1
    bodies = [body for body, _ in results]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["data"]["board"]["lastSeq"] == 1
    assert sorted(str(cache) for _, cache in results) == ["None"] + ["joined"] * 7
    again, cache = await read(api, board["id"], a["token"])
    assert cache == "hit" and again == bodies[0]


async def test_a_failed_computation_is_not_shared(api: Api) -> None:
    """A leader whose answer has errors shares nothing: each waiting reader runs its
    own query (and, here, gets its own error)."""
    a = await api.signup("Flight2")
    board = (await api.ok('mutation { createBoard(name: "G") { id } }', token=a["token"]))["createBoard"]
    runs = []
    real_run = Operations.run

    async def failing_run(self: Operations, prepared: object, ctx: object, *args: object) -> object:
        runs.append(1)
        await asyncio.sleep(0.1)
        if len(runs) == 1:
            return {"data": None, "errors": [{"message": "Board not found", "extensions": {"code": "NOT_FOUND"}}]}
        return await real_run(self, prepared, ctx, *args)  # type: ignore[arg-type]

    Operations.run = failing_run  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(*(read(api, board["id"], a["token"]) for _ in range(4)))
    finally:
        Operations.run = real_run  # type: ignore[method-assign]
    errors = [body for body, _ in results if "errors" in body]
    assert len(errors) == 1
    assert len(runs) >= 2 and all(cache != "joined" for _, cache in results)
