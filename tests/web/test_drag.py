"""Manual order: drag a card to a place in a column or another column, the same
with the keyboard, the optimistic move rolled back on CONFLICT, and two people
seeing each other's moves live."""

from __future__ import annotations

import json
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Server

ORDER = """query($b: ID!, $s: [TaskStatus!]) { board(id: $b) {
  tasks(filter: {status: $s}, orderBy: {field: RANK}) { edges { node { title } } } } }"""


# Where a card is picked up: its left edge (the centre may be its select, which opens instead).
GRIP = {"x": 2, "y": 10}


def server_order(server: Server, token: str, board_id: str, status: str) -> list[str]:
    d = server.gql(ORDER, {"b": board_id, "s": [status]}, token)
    return [e["node"]["title"] for e in d["board"]["tasks"]["edges"]]


def drop_on(page: Any, title: str, target: str, half: str) -> None:
    """Drag card `title` onto the top or bottom half of card `target`."""
    box = ui.card(page, target).bounding_box()
    assert box
    y = 4 if half == "top" else box["height"] - 4
    ui.card(page, title).drag_to(ui.card(page, target), source_position=GRIP,
                                 target_position={"x": box["width"] / 2, "y": y})


def test_drag_to_a_place_seen_by_the_other_person(new_page, server: Server) -> None:
    a, b = server.sign_up("Dara"), server.sign_up("Dev")
    name = f"Order {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name, b)
    ui.api_task(server, a, board_id, "One")
    ui.api_task(server, a, board_id, "Two", assigneeId=b.id)  # B may move what B is assigned
    ui.api_task(server, a, board_id, "Three")
    ui.api_task(server, a, board_id, "Doing", status="IN_PROGRESS")
    page, other = new_page(), new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    ui.log_in(other, b)
    ui.open_board(other, name)
    expect(ui.column_titles(page, "TODO")).to_have_text(["One", "Two", "Three"])

    # Within a column: Three onto the top of One.
    drop_on(page, "Three", "One", "top")
    expect(ui.column_titles(page, "TODO")).to_have_text(["Three", "One", "Two"])
    expect(ui.column_titles(other, "TODO")).to_have_text(["Three", "One", "Two"])
    assert ui.eventually(lambda: server_order(server, a.token, board_id, "TODO") == ["Three", "One", "Two"])

    # To another column, below the card there: One under Doing.
    drop_on(page, "One", "Doing", "bottom")
    expect(ui.column_titles(page, "IN_PROGRESS")).to_have_text(["Doing", "One"])
    expect(ui.column_titles(other, "IN_PROGRESS")).to_have_text(["Doing", "One"])
    expect(ui.column_titles(other, "TODO")).to_have_text(["Three", "Two"])

    # B moves too, and A sees it: Two above Doing.
    drop_on(other, "Two", "Doing", "top")
    expect(ui.column_titles(page, "IN_PROGRESS")).to_have_text(["Two", "Doing", "One"])
    assert ui.eventually(lambda: server_order(server, a.token, board_id, "IN_PROGRESS") == ["Two", "Doing", "One"])

    # After a reload the order is the server's, the same.
    ui.open_board(page, name)
    expect(ui.column_titles(page, "IN_PROGRESS")).to_have_text(["Two", "Doing", "One"])
    expect(ui.column_titles(page, "TODO")).to_have_text(["Three"])


def test_keyboard_moves_within_a_column_are_announced(new_page, server: Server) -> None:
    a = server.sign_up("Kim")
    name = f"Keys {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name)
    for t in ("First", "Second", "Third"):
        ui.api_task(server, a, board_id, t)
    page = new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    title = ui.card(page, "Third").locator(".card-title")
    title.focus()
    page.keyboard.press("ArrowUp")
    expect(ui.column_titles(page, "TODO")).to_have_text(["First", "Third", "Second"])
    expect(page.locator("#announcer")).to_have_text("Moved “Third” to position 2 of 3 in To do.")
    expect(title).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(ui.column_titles(page, "TODO")).to_have_text(["Third", "First", "Second"])
    expect(page.locator("#announcer")).to_have_text("Moved “Third” to position 1 of 3 in To do.")
    page.keyboard.press("ArrowUp")
    expect(page.locator("#announcer")).to_have_text("“Third” is already first in To do.")
    page.keyboard.press("ArrowDown")
    expect(ui.column_titles(page, "TODO")).to_have_text(["First", "Third", "Second"])
    expect(page.locator("#announcer")).to_have_text("Moved “Third” to position 2 of 3 in To do.")
    assert ui.eventually(lambda: server_order(server, a.token, board_id, "TODO") == ["First", "Third", "Second"])


def test_a_refused_move_rolls_back(new_page, server: Server) -> None:
    a, b = server.sign_up("Rae"), server.sign_up("Rob")
    name = f"Clash {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name, b)
    task_id = ui.api_task(server, a, board_id, "Contested", assigneeId=b.id)
    ui.api_task(server, a, board_id, "Other")
    page = new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    seen: list[str] = []

    def change_first(route: Any) -> None:
        # Someone else saves the task just before A's move reaches the server.
        # A move is known by its variables: persisted operations send a hash, not the document.
        body = json.loads(route.request.post_data or "{}")
        move = body.get("variables", {}).get("input", {})
        if "afterTaskId" in move and not seen:
            seen.append(move["status"])
            server.gql("mutation($t: ID!) { updateTask(id: $t, input: {title: \"Contested!\"}) { id } }",
                       {"t": task_id}, b.token)
        route.continue_()

    page.route("**/graphql", change_first)
    ui.card(page, "Contested").drag_to(ui.column(page, "DONE"), source_position=GRIP)
    # The server refused it (CONFLICT): the card is back, with the other person's change, and a notice says why.
    expect(page.get_by_role("alert")).to_contain_text("before your move, so it was not moved")
    ui.expect_in_column(page, "Contested!", "TODO")
    expect(ui.column_titles(page, "DONE")).to_have_count(0)
    assert seen == ["DONE"]
    task = server.gql("query($t: ID!) { task(id: $t) { status title } }", {"t": task_id}, a.token)["task"]
    assert task == {"status": "TODO", "title": "Contested!"}
