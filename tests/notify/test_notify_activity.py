"""Both activity logs page newest first, without gaps or duplicates, and agree."""

from __future__ import annotations

import pytest
from notify_testkit import REGION, AwsEnv, Db, add_board, add_user, record, task_snapshot

from models.errors import ApiError
from models.tables import ActivityKind, BoardEventKind
from notify.activity import DynamoActivityLog
from notify.activity_port import ActivityLog, ActivityPage, InvalidCursor, encode_activity_cursor
from notify.activity_sql import SqlActivityLog
from notify.relay import OutboxRelay


async def walk(fetch, first: int) -> list[ActivityPage]:  # type: ignore[no-untyped-def]
    pages, after = [], None
    while True:
        page = await fetch(first, after)
        pages.append(page)
        if not page.has_next:
            return pages
        assert page.end_cursor
        after = page.end_cursor


@pytest.fixture
async def history(sqlite_db: Db, aws: AwsEnv) -> dict[str, object]:
    db = sqlite_db
    actor = await add_user(db, "ocean1220@naver.com")
    board = await add_board(db, actor)
    other_board = await add_board(db, actor, "Other")
    task = task_snapshot(board, actor, None, title="CI/CD Test")
    other_task = task_snapshot(board, actor, None, title="Docs")
    plan = [task, task, None, other_task, task, None, task, other_task, task]
    for i, t in enumerate(plan):
        if t is None:
            await record(
                db,
                board,
                actor,
                kind=BoardEventKind.MEMBER_ADDED,
                activity_kind=ActivityKind.MEMBER_ADDED,
                message=f"member {i}",
            )
        else:
            await record(
                db,
                board,
                actor,
                task=t,
                changes={"title": {"from": "a", "to": f"b{i}"}},
                message=f"change {i}",
            )
    await record(db, other_board, actor, task=task_snapshot(other_board, actor, None), message="elsewhere")
    relay = OutboxRelay(
        db.session_factory, False, aws.session, aws.table, aws.bus, aws.endpoint_url, REGION, gate=db.gate
    )
    while await relay.deliver_once():
        pass
    await relay.aclose()
    assert (await relay.backlog())[0] == 0
    return {"db": db, "aws": aws, "board": board, "task": task, "plan": plan}


def logs(history: dict[str, object]) -> list[ActivityLog]:
    db, aws = history["db"], history["aws"]
    assert isinstance(db, Db) and isinstance(aws, AwsEnv)
    return [
        SqlActivityLog(db.session_factory),
        DynamoActivityLog(aws.session, table_name=aws.table, endpoint_url=aws.endpoint_url, region=REGION),
    ]


@pytest.mark.parametrize("first", [1, 2, 4, 9, 50])
async def test_board_activity_pages_newest_first_without_gaps(history: dict[str, object], first: int) -> None:
    board = history["board"]
    seen = []
    for log in logs(history):
        pages = await walk(lambda f, a, log=log: log.board_activity(board.id, f, a), first)  # type: ignore[attr-defined]
        entries = [e for p in pages for e in p.entries]
        assert [e.seq for e in entries] == list(range(9, 0, -1))
        assert all(len(p.entries) <= first for p in pages)
        assert pages[-1].has_next is False
        seen.append(entries)
    sql_entries, dynamo_entries = seen
    assert sql_entries == dynamo_entries  # both adapters give the same entries
    newest = sql_entries[0]
    assert newest.kind == "TASK_UPDATED" or newest.kind == "TASK_STATUS_CHANGED"
    assert newest.message == "change 8" and newest.changes == {"title": {"from": "a", "to": "b8"}}
    assert newest.actor_email == "ocean1220@naver.com" and newest.at.endswith("Z")
    member = next(e for e in sql_entries if e.seq == 6)
    assert member.kind == "MEMBER_ADDED" and member.task_id is None and member.changes is None


@pytest.mark.parametrize("first", [1, 2, 5])
async def test_task_activity_pages_newest_first(history: dict[str, object], first: int) -> None:
    task = history["task"]
    plan = history["plan"]
    expected = [i + 1 for i, t in enumerate(plan) if t is task][::-1]  # type: ignore[arg-type]
    for log in logs(history):
        pages = await walk(lambda f, a, log=log: log.task_activity(task["id"], f, a), first)  # type: ignore[index]
        entries = [e for p in pages for e in p.entries]
        assert [e.seq for e in entries] == expected
        assert {e.task_id for e in entries} == {task["id"]}  # type: ignore[index]


async def test_cursor_edge_cases(history: dict[str, object]) -> None:
    board = history["board"]
    for log in logs(history):
        empty = await log.board_activity(board.id, 0, None)  # type: ignore[attr-defined]
        assert empty.entries == [] and empty.has_next is True and empty.end_cursor is None
        tail = await log.board_activity(board.id, 10, encode_activity_cursor(3))  # type: ignore[attr-defined]
        assert [e.seq for e in tail.entries] == [2, 1] and not tail.has_next
        nothing = await log.board_activity("brd_unknown", 10, None)
        assert nothing.entries == [] and not nothing.has_next and nothing.end_cursor is None
        for bad in ("not-a-cursor!", encode_activity_cursor(3)[:-1] + "@", "c2VxOng"):
            with pytest.raises(InvalidCursor) as err:
                await log.board_activity(board.id, 5, bad)  # type: ignore[attr-defined]
            assert isinstance(err.value, ApiError) and err.value.code == "BAD_USER_INPUT"


async def test_fallback_reads_the_outbox_table_while_dynamodb_is_unreachable(history: dict[str, object]) -> None:
    import socket

    from botocore.config import Config

    from notify.activity import FallbackActivityLog

    db, aws = history["db"], history["aws"]
    assert isinstance(db, Db) and isinstance(aws, AwsEnv)
    with socket.socket() as s:  # a port nobody listens on: connections are refused
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    fast = Config(connect_timeout=1, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 1})
    down = FallbackActivityLog(
        DynamoActivityLog(aws.session, table_name=aws.table, endpoint_url=dead, region=REGION, client_config=fast),
        SqlActivityLog(db.session_factory))
    up = FallbackActivityLog(
        DynamoActivityLog(aws.session, table_name=aws.table, endpoint_url=aws.endpoint_url, region=REGION),
        SqlActivityLog(db.session_factory))
    board = history["board"]
    first_page = await down.board_activity(board.id, 4, None)  # type: ignore[attr-defined]
    assert [e.seq for e in first_page.entries] == [9, 8, 7, 6]
    # The cursors are the same on both sides: a page from the fallback continues on DynamoDB.
    rest = await up.board_activity(board.id, 50, first_page.end_cursor)  # type: ignore[attr-defined]
    assert [e.seq for e in rest.entries] == [5, 4, 3, 2, 1]
    with pytest.raises(InvalidCursor):
        await down.board_activity(board.id, 4, "not-a-cursor")  # type: ignore[attr-defined]
