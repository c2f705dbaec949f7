"""Shared documents and helpers of the HTTP contract suite."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import text

from tests.conftest import Api

REPO_ROOT = Path(__file__).resolve().parents[2]
# The contract as this repository was built against it; ../shared/spec (the team's
# copy, beside the checkout on CI) must say the same, see test_schema_contract.
SPEC_DIR = Path(__file__).resolve().parents[2] / "docs" / "contract"
SHARED_SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"

CONTRACT_CODES = {
    "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CONFLICT", "RATE_LIMITED",
    "INTERNAL_SERVER_ERROR",
}
# The one extension (README): Apollo's persisted-query protocol code, which clients act on.
PROTOCOL_CODES = {"PERSISTED_QUERY_NOT_FOUND"}
LEAK_MARKERS = ("Traceback", "sqlalchemy", 'File "')

TASK_FIELDS = """id title description status deadline version createdAt updatedAt
  supervisor { id email } assignee { id email }"""

CREATE_BOARD = "mutation($n: String!) { createBoard(name: $n) { id name viewerRole } }"
ADD_MEMBER = """mutation($b: ID!, $e: String!, $r: BoardRole!) {
  addBoardMember(boardId: $b, email: $e, role: $r) { role user { id email } } }"""
REMOVE_MEMBER = "mutation($b: ID!, $u: ID!) { removeBoardMember(boardId: $b, userId: $u) }"
CREATE_TASK = f"mutation($i: CreateTaskInput!) {{ createTask(input: $i) {{ {TASK_FIELDS} }} }}"
UPDATE_TASK = f"mutation($id: ID!, $i: UpdateTaskInput!) {{ updateTask(id: $id, input: $i) {{ {TASK_FIELDS} }} }}"
DELETE_TASK = "mutation($id: ID!, $v: Int) { deleteTask(id: $id, expectedVersion: $v) }"
GET_TASK = f"query($id: ID!) {{ task(id: $id) {{ {TASK_FIELDS} }} }}"
GET_BOARD = "query($id: ID!) { board(id: $id) { id name viewerRole members { role user { id email } } } }"
ACTIVITY = """query($id: ID!, $first: Int, $after: String) { board(id: $id) { activity(first: $first, after: $after) {
  edges { cursor node { id kind boardId taskId actorEmail message changes at } }
  pageInfo { hasNextPage endCursor } } } }"""

ISO_MS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


def check_contract_body(raw: bytes, content_type: str) -> None:
    """Every /graphql answer is JSON; each error has a contract code; nothing leaks."""
    body_text = raw.decode("utf-8", "replace")
    for marker in LEAK_MARKERS:
        assert marker not in body_text, f"response leaks {marker!r}: {body_text[:500]}"
    assert content_type.split(";")[0].strip() == "application/json", (content_type, body_text[:200])
    body = json.loads(raw)
    assert isinstance(body, dict), body_text[:200]
    for err in body.get("errors") or []:
        code = (err.get("extensions") or {}).get("code")
        assert code in CONTRACT_CODES or code in PROTOCOL_CODES, f"error without a contract code: {err}"


def message_re(role: str, email: str, verb: str, title: str) -> re.Pattern[str]:
    return re.compile(rf"^{role} {re.escape(email)} {re.escape(verb)} Task {re.escape(title)} at {ISO_MS}$")


async def new_board(api: Api, owner: dict[str, Any], name: str = "Board") -> str:
    data = await api.ok(CREATE_BOARD, {"n": name}, owner["token"])
    return str(data["createBoard"]["id"])


async def add_member(api: Api, owner: dict[str, Any], board_id: str, user: dict[str, Any],
                     role: str = "MEMBER") -> None:
    await api.ok(ADD_MEMBER, {"b": board_id, "e": user["email"], "r": role}, owner["token"])


async def create_task(api: Api, user: dict[str, Any], board_id: str, title: str = "Task",
                      **fields: Any) -> dict[str, Any]:
    data = await api.ok(CREATE_TASK, {"i": {"boardId": board_id, "title": title, **fields}}, user["token"])
    task: dict[str, Any] = data["createTask"]
    return task


async def update_task(api: Api, user: dict[str, Any], task_id: str, **fields: Any) -> dict[str, Any]:
    return await api.gql(UPDATE_TASK, {"id": task_id, "i": fields}, user["token"])


async def get_task(api: Api, user: dict[str, Any], task_id: str) -> dict[str, Any] | None:
    data = await api.ok(GET_TASK, {"id": task_id}, user["token"])
    task: dict[str, Any] | None = data["task"]
    return task


async def activity(api: Api, user: dict[str, Any], board_id: str, first: int = 100) -> list[dict[str, Any]]:
    data = await api.ok(ACTIVITY, {"id": board_id, "first": first}, user["token"])
    return [e["node"] for e in data["board"]["activity"]["edges"]]


def runtime_of(app: Any) -> Any:
    """The bootstrap Runtime the app built in its lifespan (taskboard.lifespan.AppState)."""
    return app.state.taskboard.runtime


async def board_seqs(api: Api, board_id: str) -> list[int]:
    engine = runtime_of(api.app).engine
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT seq FROM board_events WHERE board_id = :b ORDER BY seq"),
                                  {"b": board_id})
        return [int(r[0]) for r in rows]
