"""Fuzzing the served schema (hypothesis-graphql, the generator schemathesis'
GraphQL mode uses) against a real uvicorn in `test` mode, as a board member.

Queries and mutations, valid ones and ones with one schema violation each, with
IDs drawn mostly from real objects so the resolvers run their real paths.
Every answer must honour the contract (no 5xx, JSON, contract codes, no
INTERNAL_SERVER_ERROR, nothing leaked); afterwards the database must be
consistent.  Deterministic (derandomize) so CI runs the same operations."""

from __future__ import annotations

import asyncio
import os
import string
import time
from collections import Counter
from collections.abc import Callable

import graphql
import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from tests.conftest import test_settings
from tests.live.conftest import serve
from tests.robust.common import boards_of, engine_for, make_world, response_problems
from tests.robust.consistency import assert_consistent

# Examples per kind and mode.  Query documents (every root field at once) cost two
# thirds of the time: `make test` sends TASKBOARD_TEST_FUZZ_QUERIES of them (default 300),
# `make fuzz` 1,000.  Mutations are cheap and thin per field (createTask succeeds about
# once in 23 tries): always the full 1,100.
QUERY_DOCUMENTS = int(os.environ.get("TASKBOARD_TEST_FUZZ_QUERIES", "300"))
QUERIES = {Mode.POSITIVE: QUERY_DOCUMENTS * 4 // 5, Mode.NEGATIVE: QUERY_DOCUMENTS // 5}
MUTATIONS = {Mode.POSITIVE: 880, Mode.NEGATIVE: 220}


def scalars(ids: list[str], strings: list[str]) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    junk = st.text(string.ascii_letters + string.digits + "_-:'\"\\%", max_size=40)
    id_values = st.one_of(
        st.sampled_from(ids), st.sampled_from(ids), st.sampled_from(ids),
        st.sampled_from(["brd_", "tsk_", "usr_", "brd_0000", "tsk_' OR 1=1 --", ""]),
        junk,
    )
    dates = st.one_of(st.dates().map(lambda d: d.isoformat()), junk)
    datetimes = st.one_of(st.datetimes().map(lambda d: d.isoformat()), junk)
    text = st.one_of(st.sampled_from(strings), st.sampled_from(strings), st.text(max_size=60), junk)
    return {
        "ID": id_values.map(nodes.String),
        "String": text.map(nodes.String),
        "Date": dates.map(nodes.String),
        "DateTime": datetimes.map(nodes.String),
        "JSON": junk.map(nodes.String),
    }


def plan(schema: graphql.GraphQLSchema) -> list[tuple[str, Mode, list[str] | None, int]]:
    """(kind, mode, root fields, examples): queries over every root field at once;
    mutations one root field per document (every mutation field is non-null, so
    one failing field would void the others)."""
    assert schema.mutation_type is not None
    out: list[tuple[str, Mode, list[str] | None, int]] = [
        ("query", Mode.POSITIVE, None, QUERIES[Mode.POSITIVE]),
        ("query", Mode.NEGATIVE, None, QUERIES[Mode.NEGATIVE]),
    ]
    # Destructive ones last, so the others still find the tasks and members.
    fields = sorted(schema.mutation_type.fields, key=lambda f: (f in ("deleteTask", "removeBoardMember"), f))
    for mode, total in MUTATIONS.items():
        # A mutation without arguments (requestEmailVerification) has nothing to get wrong.
        names = fields if mode is Mode.POSITIVE else [f for f in fields if schema.mutation_type.fields[f].args]
        out += [("mutation", mode, [name], total // len(names)) for name in names]
    return out


def run_fuzz(url: str, headers: dict[str, str], schema: graphql.GraphQLSchema, ids: list[str],
             strings: list[str]) -> tuple[int, list[str], Counter[str]]:
    """Runs in a worker thread: the server lives on the test's event loop."""
    failures: list[str] = []
    outcomes: Counter[str] = Counter()
    custom = scalars(ids, strings)
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for kind, mode, fields, budget in plan(schema):
            make = queries if kind == "query" else mutations
            strategy = make(schema, fields=fields, custom_scalars=custom, mode=mode)
            label = f"{kind}{'/' + fields[0] if fields else ''}/{mode.name}"

            one = _property(client, strategy, budget, label, failures, outcomes)
            one()
    return sum(outcomes.values()), failures, outcomes


def _property(client: httpx.Client, strategy: st.SearchStrategy[str], budget: int, label: str,
              failures: list[str], outcomes: Counter[str]) -> Callable[[], None]:
    @settings(max_examples=budget, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(document=strategy)
    def one(document: str) -> None:
        r = client.post("/graphql", json={"query": document})
        found = response_problems(r.status_code, r.headers.get("content-type", ""), r.content)
        outcomes[f"{label}/{_outcome(r)}"] += 1
        if found and len(failures) < 20:
            failures.append(f"{label}: {found}\n  document: {document[:600]}\n  answer: {r.text[:600]}")

    return one


def _outcome(r: httpx.Response) -> str:
    try:
        body = r.json()
    except ValueError:
        return f"{r.status_code}-not-json"
    errs = body.get("errors") if isinstance(body, dict) else None
    if not errs:
        return "ok"
    codes = sorted({(e.get("extensions") or {}).get("code", "?") for e in errs})
    return ("partial-" if body.get("data") else "") + "+".join(codes)


async def test_fuzz_queries_and_mutations(database_url: str) -> None:
    async with serve(test_settings(database_url)) as live:
        world = await make_world(live.api, tasks=6)
        intro = await live.api.ok(graphql.get_introspection_query(descriptions=False))
        schema = graphql.build_client_schema(intro)  # the served schema, as a client sees it
        ids = [world.board_id] * 4 + world.task_ids + world.user_ids
        headers = {"authorization": f"Bearer {world.owner['token']}"}
        # Real emails (addBoardMember, login), a valid password and phone number, cursors.
        strings = [world.member["email"], world.outsider["email"], world.owner["email"].upper(), "password-123",
                   "+821012345678", "Sprint 3", world.owner["refreshToken"]]
        started = time.monotonic()
        sent, failures, outcomes = await asyncio.to_thread(run_fuzz, live.url, headers, schema, ids, strings)
        took = time.monotonic() - started
        print(f"\nfuzz: {sent} operations in {took:.1f}s")
        for name, n in sorted(outcomes.items()):
            print(f"  {name}: {n}")
        assert not failures, "contract violations:\n" + "\n".join(failures)
        planned = sum(budget for *_, budget in plan(schema))
        assert sent >= planned * 3 // 4, f"only {sent} of {planned} operations were generated"
        # The generator reached the resolvers, not just the validator.
        assert outcomes["query/POSITIVE/ok"] >= QUERIES[Mode.POSITIVE] // 8, outcomes
        changed = sum(n for k, n in outcomes.items()
                      if k.startswith("mutation/") and k.endswith("/POSITIVE/ok") and "/logout/" not in k)
        assert changed >= 30, outcomes
        for name in ("createBoard", "createTask", "updateNotificationSettings"):
            assert outcomes[f"mutation/{name}/POSITIVE/ok"] >= 1, (name, outcomes)
        # The server is still well after all that.
        assert (await live.api.client.get("/healthz")).status_code == 200
    async with engine_for(database_url) as engine:
        await assert_consistent(engine, await boards_of(engine, world.user_ids))
