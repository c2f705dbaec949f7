"""Keyboard-only use of the board, and the filters."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Server


def _board(server: Server, owner_token: str, name: str) -> str:
    board_id: str = server.gql("mutation($n: String!) { createBoard(name: $n) { id } }", {"n": name}, owner_token)[
        "createBoard"
    ]["id"]
    return board_id


def _task(server: Server, token: str, board_id: str, title: str, **extra: object) -> str:
    task_id: str = server.gql(
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
        {"i": {"boardId": board_id, "title": title, **extra}},
        token,
    )["createTask"]["id"]
    return task_id


def _focused(page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.textContent.trim() : ''")


def test_keyboard_only_move(new_page, server: Server) -> None:
    a = server.sign_up("Kay")
    name = f"Keys {uuid.uuid4().hex[:6]}"
    board_id = _board(server, a.token, name)
    _task(server, a.token, board_id, "Earlier task")
    task_id = _task(server, a.token, board_id, "Keyboard task")
    page = new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    ui.expect_in_column(page, "Keyboard task", "TODO")

    # Tab from the top of the page to the card: it is reachable without a mouse.
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        if _focused(page) == "Keyboard task":
            break
    else:
        raise AssertionError("Tab never reached the card")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused card shows no focus ring"

    # Arrow keys move it column by column; the focus stays on the card.
    page.keyboard.press("ArrowRight")
    ui.expect_in_column(page, "Keyboard task", "IN_PROGRESS")
    expect(page.locator(f'[data-task-id="{task_id}"] .card-title')).to_be_focused()
    page.keyboard.press("ArrowRight")
    ui.expect_in_column(page, "Keyboard task", "IN_REVIEW")
    page.keyboard.press("ArrowLeft")
    ui.expect_in_column(page, "Keyboard task", "IN_PROGRESS")
    expect(page.get_by_role("status").filter(has_text="Moved “Keyboard task” to In progress.")).to_have_count(1)

    # The "Move to…" select works from the keyboard as well (Tab: the comment count, then the select).
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Move “Keyboard task” to")).to_be_focused()
    page.keyboard.press("End")
    ui.expect_in_column(page, "Keyboard task", "DONE")
    expect(page.locator(f'[data-task-id="{task_id}"] .card-title')).to_be_focused()

    # Enter opens the task, Escape closes it.
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Edit task")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Title")).to_have_value("Keyboard task")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The moves reach the server (the card showed each one at once).
    expect(page.locator("#announcer")).to_have_text("Moved “Keyboard task” to Done.")
    status = server.gql("query($t: ID!) { task(id: $t) { status version } }", {"t": task_id}, a.token)["task"]
    assert status == {"status": "DONE", "version": 5}


def test_filters(new_page, server: Server) -> None:
    a, b = server.sign_up("Ann"), server.sign_up("Ben")
    name = f"Filters {uuid.uuid4().hex[:6]}"
    board_id = _board(server, a.token, name)
    server.gql(
        "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }",
        {"b": board_id, "e": b.email},
        a.token,
    )
    today = date.today()
    _task(server, a.token, board_id, "Alpha report", assigneeId=a.id, deadline=(today + timedelta(days=1)).isoformat())
    _task(server, a.token, board_id, "Beta fix", assigneeId=b.id, deadline=(today + timedelta(days=20)).isoformat())
    _task(server, a.token, board_id, "Gamma docs", description="mentions the zebra", status="IN_REVIEW")
    _task(server, a.token, board_id, "Delta overdue", assigneeId=b.id, deadline=(today - timedelta(days=2)).isoformat())
    page = new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    filters = page.get_by_role("search", name="Filter tasks")
    cards = page.locator("li.card .card-title")
    expect(cards).to_have_count(4)

    filters.get_by_label("Assignee").select_option(label="Assigned to me")
    expect(cards).to_have_text(["Alpha report"])
    expect(filters).to_contain_text("Showing 1 of 4 tasks")

    filters.get_by_label("Assignee").select_option(label=f"Ben ({b.email})")
    expect(cards).to_have_text(["Beta fix", "Delta overdue"])

    filters.get_by_label("Assignee").select_option(label="Unassigned")
    expect(cards).to_have_text(["Gamma docs"])

    filters.get_by_role("button", name="Clear filters").click()
    filters.get_by_label("Search").fill("ZEBRA")
    expect(cards).to_have_text(["Gamma docs"])
    filters.get_by_label("Search").fill("")

    filters.get_by_label("Status").select_option(label="In review")
    expect(page.locator("section.column")).to_have_count(1)
    expect(cards).to_have_text(["Gamma docs"])
    filters.get_by_label("Status").select_option(label="All statuses")

    filters.get_by_label("Due soon or overdue").check()
    expect(cards).to_have_text(["Alpha report", "Delta overdue"])
    expect(ui.card(page, "Delta overdue").locator(".tag")).to_have_text("Overdue")
    expect(ui.card(page, "Alpha report").get_by_text("Due soon")).to_be_visible()
    filters.get_by_label("Due soon or overdue").uncheck()

    # Filters apply to live changes too.
    filters.get_by_label("Assignee").select_option(label="Assigned to me")
    _task(server, b.token, board_id, "Handed to Ann", assigneeId=a.id)
    expect(cards).to_have_text(["Alpha report", "Handed to Ann"])
