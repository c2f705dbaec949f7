"""A reusable consistency checker over the database (SQLAlchemy, any backend).

`problems(engine, boards=None)` returns a list of human-readable violations of
the invariants the contract implies; `assert_consistent` fails with all of
them.  `boards` limits the check to those boards (a shared test database holds
other suites' data too); `None` checks everything.

Invariants:
- every task's board exists; its supervisor and assignee (users) exist;
- every assignee is a member of the task's board;
- every board has at least one owner;
- per board, `board_events.seq` is exactly 1..boards.event_seq (no gap, no
  duplicate), and event ids are unique;
- every task's version is 1 + the number of its TASK_UPDATED events;
- every committed change has exactly one outbox row: each live task has
  exactly one TASK_CREATED and no TASK_DELETED event, each deleted task exactly
  one TASK_DELETED; every membership agrees with the MEMBER_ADDED /
  MEMBER_REMOVED events (the creator's first membership has none).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def _in(column: str, boards: list[str] | None) -> tuple[str, dict[str, Any]]:
    if boards is None:
        return "", {}
    names = {f"b{i}": b for i, b in enumerate(boards)}
    return f" WHERE {column} IN ({', '.join(':' + n for n in names)})", names


async def problems(engine: AsyncEngine, boards: Iterable[str] | None = None) -> list[str]:
    scope = None if boards is None else sorted(set(boards))
    if scope == []:
        return []
    out: list[str] = []
    async with engine.connect() as conn:
        async def rows(sql: str, column: str) -> list[Any]:
            where, params = _in(column, scope)
            return list((await conn.execute(text(sql.format(where=where)), params)).all())

        board_rows = await rows("SELECT id, event_seq, created_by FROM boards{where}", "id")
        board_seq = {r.id: int(r.event_seq) for r in board_rows}
        creator = {r.id: r.created_by for r in board_rows}
        if scope is not None:
            for b in scope:
                if b not in board_seq:
                    out.append(f"board {b}: does not exist")
        users = {r[0] for r in (await conn.execute(text("SELECT id FROM users"))).all()}
        members = await rows("SELECT board_id, user_id, role FROM board_members{where}", "board_id")
        member_set = {(m.board_id, m.user_id) for m in members}
        tasks = await rows("SELECT id, board_id, supervisor_id, assignee_id, version FROM tasks{where}", "board_id")
        evs = await rows("SELECT id, board_id, seq, kind, task_id, payload FROM board_events{where}", "board_id")

    # Tasks and their people.
    for t in tasks:
        if t.board_id not in board_seq:
            out.append(f"task {t.id}: board {t.board_id} does not exist")
        if t.supervisor_id not in users:
            out.append(f"task {t.id}: supervisor {t.supervisor_id} does not exist")
        if t.assignee_id is not None:
            if t.assignee_id not in users:
                out.append(f"task {t.id}: assignee {t.assignee_id} does not exist")
            if (t.board_id, t.assignee_id) not in member_set:
                out.append(f"task {t.id}: assignee {t.assignee_id} is not a member of board {t.board_id}")

    # Owners.
    owners = Counter(m.board_id for m in members if m.role == "OWNER")
    for b in board_seq:
        if owners[b] < 1:
            out.append(f"board {b}: has no owner")
    for m in members:
        if m.user_id not in users:
            out.append(f"board {m.board_id}: member {m.user_id} does not exist")

    # Seqs: exactly 1..event_seq per board; event ids unique.
    seqs: dict[str, list[int]] = defaultdict(list)
    for e in evs:
        seqs[e.board_id].append(int(e.seq))
    for b, last in board_seq.items():
        got = sorted(seqs.get(b, []))
        if got != list(range(1, last + 1)):
            dupes = sorted(s for s, n in Counter(got).items() if n > 1)
            missing = sorted(set(range(1, last + 1)) - set(got))
            extra = sorted(s for s in set(got) if s < 1 or s > last)
            out.append(f"board {b}: seqs are not 1..{last} (missing {missing[:10]}, duplicated {dupes[:10]}, "
                       f"beyond {extra[:10]})")
    for b in seqs:
        if b not in board_seq:
            out.append(f"board_events: {len(seqs[b])} events of missing board {b}")
    ids = Counter(e.id for e in evs)
    out += [f"board_events: event id {i} appears {n} times" for i, n in ids.items() if n > 1]

    # Versions and one outbox row per change.
    per_task: dict[str, Counter[str]] = defaultdict(Counter)
    for e in evs:
        if e.task_id is not None:
            per_task[e.task_id][e.kind] += 1
    live = {t.id for t in tasks}
    for t in tasks:
        kinds = per_task.get(t.id, Counter())
        if t.version != 1 + kinds["TASK_UPDATED"]:
            out.append(f"task {t.id}: version {t.version} but {kinds['TASK_UPDATED']} TASK_UPDATED events")
        if kinds["TASK_CREATED"] != 1:
            out.append(f"task {t.id}: {kinds['TASK_CREATED']} TASK_CREATED events")
        if kinds["TASK_DELETED"]:
            out.append(f"task {t.id}: exists but has {kinds['TASK_DELETED']} TASK_DELETED events")
    for task_id, kinds in per_task.items():
        if task_id in live:
            continue
        if kinds["TASK_DELETED"] != 1 or kinds["TASK_CREATED"] != 1:
            out.append(f"deleted task {task_id}: {kinds['TASK_CREATED']} TASK_CREATED and "
                       f"{kinds['TASK_DELETED']} TASK_DELETED events")

    # Memberships against MEMBER_ADDED / MEMBER_REMOVED.
    net: Counter[tuple[str, str]] = Counter()
    for e in evs:
        if e.kind in ("MEMBER_ADDED", "MEMBER_REMOVED"):
            user_id = _member_user(e.payload)
            if user_id is None:
                out.append(f"event {e.id}: {e.kind} without the member's user id")
                continue
            net[(e.board_id, user_id)] += 1 if e.kind == "MEMBER_ADDED" else -1
    for b, who in creator.items():
        net[(b, who)] += 1  # createBoard's membership records no event
    for (b, u), n in net.items():
        present = (b, u) in member_set
        if n != (1 if present else 0):
            out.append(f"board {b}: member {u} is {'present' if present else 'absent'} but the events net {n}")
    for b, u in member_set:
        if (b, u) not in net:
            out.append(f"board {b}: member {u} has no MEMBER_ADDED event")
    return out


def _member_user(payload: Any) -> str | None:
    if isinstance(payload, str):
        import json

        payload = json.loads(payload)
    member = (payload or {}).get("member") or {}
    user = member.get("user") if isinstance(member.get("user"), dict) else None
    value = (user or {}).get("id") or member.get("userId")
    return value if isinstance(value, str) else None


async def assert_consistent(engine: AsyncEngine, boards: Iterable[str] | None = None) -> None:
    found = await problems(engine, boards)
    assert not found, "database inconsistent:\n  " + "\n  ".join(found[:50])
