"""On MySQL the migrations pin utf8mb4 with a binary collation, whatever the
database's default character set: a latin1 default stored `?` for every emoji."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from models.db import make_engine
from models.migrate import upgrade
from tests.conftest import MYSQL_URL, REQUIRE_MYSQL

pytestmark = pytest.mark.mysql


async def scratch_database(charset: str, collation: str) -> AsyncIterator[str]:
    """A database of its own beside the suite's, with this default character set."""
    if not MYSQL_URL:
        if REQUIRE_MYSQL:
            pytest.fail("TASKBOARD_TEST_REQUIRE_MYSQL=1 but TASKBOARD_TEST_MYSQL_URL is not set")
        pytest.skip("needs TASKBOARD_TEST_MYSQL_URL")
    url = make_url(MYSQL_URL)
    name = f"{url.database}_{charset}"
    server = make_engine(url.set(database="").render_as_string(hide_password=False))
    try:
        async with server.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            await conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET {charset} COLLATE {collation}"))
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with server.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        await server.dispose()


@pytest.fixture
async def latin1_url() -> AsyncIterator[str]:
    async for url in scratch_database("latin1", "latin1_swedish_ci"):
        yield url


@pytest.fixture
async def utf8mb3_url() -> AsyncIterator[str]:
    async for url in scratch_database("utf8mb3", "utf8mb3_general_ci"):
        yield url


async def test_migrations_on_a_latin1_database_store_4_byte_text(latin1_url: str) -> None:
    await asyncio.to_thread(upgrade, latin1_url)
    name = make_url(latin1_url).database
    engine = make_engine(latin1_url)
    try:
        async with engine.begin() as conn:
            tables: dict[str, str] = dict((await conn.execute(text(
                "SELECT table_name, table_collation FROM information_schema.tables "
                "WHERE table_schema = :s AND table_name <> 'alembic_version'"), {"s": name})).all())
            columns = (await conn.execute(text(
                "SELECT table_name, column_name, character_set_name, collation_name, data_type "
                "FROM information_schema.columns WHERE table_schema = :s AND character_set_name IS NOT NULL "
                "AND table_name <> 'alembic_version'"), {"s": name})).all()
            default = (await conn.execute(text(
                "SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = :s"),
                {"s": name})).scalar_one()
            emoji = "😀" * 20_000
            user_id = "usr_" + uuid.uuid4().hex[:26]
            await conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at, email_on_task_change, "
                "email_deadline_reminders, sms_on_task_change) VALUES (:i, :e, :n, 'x', NOW(6), 1, 1, 0)"),
                {"i": user_id, "e": "😀@example.com", "n": "😀" * 200})
            await conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at, email_on_task_change, "
                "email_deadline_reminders, sms_on_task_change) VALUES (:i, :e, 'b', 'x', NOW(6), 1, 1, 0)"),
                {"i": user_id[:-1] + "z", "e": "😁@example.com"})
            await conn.execute(text(
                "INSERT INTO boards (id, name, created_at, created_by, event_seq) VALUES ('brd_1', :n, NOW(6), :u, 0)"),
                {"n": "🦄" * 200, "u": user_id})
            await conn.execute(text(
                "INSERT INTO tasks (id, board_id, title, description, status, supervisor_id, version, created_at, "
                "updated_at) VALUES ('tsk_1', 'brd_1', :t, :d, 'TODO', :u, 1, NOW(6), NOW(6))"),
                {"t": "𠜎" * 200, "d": emoji, "u": user_id})
            row = (await conn.execute(text(
                "SELECT t.title, t.description, b.name, u.name FROM tasks t JOIN boards b ON b.id = t.board_id "
                "JOIN users u ON u.id = t.supervisor_id"))).one()
    finally:
        await engine.dispose()
    assert tuple(row) == ("𠜎" * 200, emoji, "🦄" * 200, "😀" * 200)
    assert default == "utf8mb4"  # tables a later migration creates get it too
    assert tables and set(tables.values()) == {"utf8mb4_bin"}, tables
    assert {c[2] for c in columns} == {"utf8mb4"}, columns
    assert {c[3] for c in columns} == {"utf8mb4_bin"}, columns
    description = [c for c in columns if (c[0], c[1]) == ("tasks", "description")]
    assert description and description[0][4] == "mediumtext"


async def test_an_existing_database_keeps_its_rows_and_keys_through_0002(utf8mb3_url: str) -> None:
    await asyncio.to_thread(upgrade, utf8mb3_url, "0001")
    engine = make_engine(utf8mb3_url)
    name = make_url(utf8mb3_url).database
    keys = ("SELECT constraint_name, table_name, referenced_table_name, delete_rule FROM "
            "information_schema.referential_constraints WHERE constraint_schema = :s ORDER BY constraint_name")
    try:
        async with engine.begin() as conn:
            before = (await conn.execute(text(keys), {"s": name})).all()
            await conn.execute(text(
                "INSERT INTO users (id, email, name, password_hash, created_at, email_on_task_change, "
                "email_deadline_reminders, sms_on_task_change) VALUES ('usr_a', 'a@example.com', 'Zoë 東京', 'x', "
                "NOW(6), 1, 1, 0)"))
            await conn.execute(text(
                "INSERT INTO boards (id, name, created_at, created_by, event_seq) VALUES ('brd_a', 'Café', NOW(6), "
                "'usr_a', 0)"))
        await asyncio.to_thread(upgrade, utf8mb3_url, "0002")  # later migrations change keys of their own
        async with engine.begin() as conn:
            after = (await conn.execute(text(keys), {"s": name})).all()
            row = (await conn.execute(text("SELECT u.name, b.name FROM boards b JOIN users u ON u.id = b.created_by"))
                   ).one()
            await conn.execute(text("UPDATE boards SET name = :n"), {"n": "😀"})
            assert (await conn.execute(text("SELECT name FROM boards"))).scalar_one() == "😀"
            # The keys still hold: a board of nobody is refused, a user's delete cascades.
            with pytest.raises(Exception, match="foreign key"):
                await conn.execute(text(
                    "INSERT INTO boards (id, name, created_at, created_by, event_seq) VALUES ('brd_b', 'x', NOW(6), "
                    "'usr_nobody', 0)"))
    finally:
        await engine.dispose()
    assert tuple(row) == ("Zoë 東京", "Café")
    assert before and [tuple(r) for r in after] == [tuple(r) for r in before]
