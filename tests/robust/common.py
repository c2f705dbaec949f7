"""Shared pieces of the robustness suite: a small populated board, and the
per-response checks (contract codes, no leaks)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import make_engine
from tests.api.helpers import ADD_MEMBER, CONTRACT_CODES, CREATE_BOARD, CREATE_TASK
from tests.conftest import Api

# What must never reach a client: stack traces, driver/ORM names, paths, SQL.
LEAK_MARKERS = ("Traceback", "sqlalchemy", "asyncmy", "aiosqlite", 'File "', "pymysql")
SQL_RE = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM) ")


def leaks(text: str) -> list[str]:
    found = [m for m in LEAK_MARKERS if m in text]
    found += [m.group(0) for m in SQL_RE.finditer(text)]
    return found


def response_problems(status: int, content_type: str, raw: bytes, *, allow_internal: bool = False) -> list[str]:
    """What is wrong with one /graphql answer (empty when it honours the contract)."""
    text = raw.decode("utf-8", "replace")
    out: list[str] = []
    if status >= 500:
        out.append(f"HTTP {status}")
    if content_type.split(";")[0].strip() != "application/json":
        out.append(f"content type {content_type!r}")
    out += [f"leaks {m!r}" for m in leaks(text)]
    try:
        body = json.loads(text)
    except ValueError:
        return [*out, "body is not JSON"]
    if not isinstance(body, dict):
        return [*out, "body is not a JSON object"]
    for err in body.get("errors") or []:
        code = (err.get("extensions") or {}).get("code") if isinstance(err, dict) else None
        if code not in CONTRACT_CODES:
            out.append(f"error without a contract code: {err}")
        elif code == "INTERNAL_SERVER_ERROR" and not allow_internal:
            out.append(f"INTERNAL_SERVER_ERROR (an unexpected exception): {err}")
    return out


@dataclass
class World:
    """A board with an owner, a second member, some tasks; and an outsider."""

    owner: dict[str, Any]
    member: dict[str, Any]
    outsider: dict[str, Any]
    board_id: str
    task_ids: list[str] = field(default_factory=list)

    @property
    def user_ids(self) -> list[str]:
        return [self.owner["id"], self.member["id"], self.outsider["id"]]


async def make_world(api: Api, tasks: int = 5) -> World:
    owner, member, outsider = await api.signup("Owner"), await api.signup("Member"), await api.signup("Outsider")
    board_id = (await api.ok(CREATE_BOARD, {"n": "Robust"}, owner["token"]))["createBoard"]["id"]
    await api.ok(ADD_MEMBER, {"b": board_id, "e": member["email"], "r": "MEMBER"}, owner["token"])
    world = World(owner, member, outsider, board_id)
    statuses = ["TODO", "IN_PROGRESS", "IN_REVIEW", "DONE"]
    for i in range(tasks):
        fields: dict[str, Any] = {"boardId": board_id, "title": f"Task {i}", "description": f"about {i}",
                                  "status": statuses[i % 4]}
        if i % 2:
            fields["assigneeId"] = member["id"]
        if i % 3:
            fields["deadline"] = f"2030-01-{i + 1:02d}"
        who = owner if i % 2 == 0 else member
        task = (await api.ok(CREATE_TASK, {"i": fields}, who["token"]))["createTask"]
        world.task_ids.append(task["id"])
    return world


@asynccontextmanager
async def engine_for(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def boards_of(engine: AsyncEngine, user_ids: list[str]) -> list[str]:
    """Every board one of these users created or belongs to."""
    from sqlalchemy import text

    names = {f"u{i}": u for i, u in enumerate(user_ids)}
    in_ = ", ".join(":" + n for n in names)
    sql = (f"SELECT id FROM boards WHERE created_by IN ({in_}) "  # noqa: S608 (only bound :names are formatted in)
           f"UNION SELECT board_id FROM board_members WHERE user_id IN ({in_})")
    async with engine.connect() as conn:
        return [r[0] for r in (await conn.execute(text(sql), names)).all()]
