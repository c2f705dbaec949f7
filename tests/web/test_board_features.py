"""Labels (chips, picker, filter, manager) and the board menu (rename, delete),
with a second person on the board seeing each change live."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Server


def test_labels_chips_filter_and_manager(new_page, server: Server, artifacts: Path) -> None:
    a, b = server.sign_up("Lia"), server.sign_up("Lou")
    name = f"Labels {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name, b)
    ui.api_task(server, a, board_id, "Fix the login")
    ui.api_task(server, a, board_id, "Write the docs")
    page, other = new_page(), new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    ui.log_in(other, b)
    ui.open_board(other, name)

    # Labels made in the manager show up for the other person at once.
    ui.create_label(page, "bug", "#d73a4a")
    ui.create_label(page, "docs", "#fbca04")
    filters_b = other.get_by_role("search", name="Filter tasks")
    expect(filters_b.get_by_role("button", name="bug")).to_be_visible()

    # Pick labels in the editor: chips on the card, in the board's colours, on both pages.
    ui.card(page, "Fix the login").get_by_role("button", name="Fix the login", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit task")
    dialog.get_by_role("group", name="Labels").get_by_label("bug").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(ui.chips(ui.card(page, "Fix the login"))).to_have_text(["bug"])
    chip = ui.chips(ui.card(other, "Fix the login"))
    expect(chip).to_have_text(["bug"])
    assert chip.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(215, 58, 74)"
    ui.create_task(page, "Label the docs")
    ui.card(page, "Label the docs").get_by_role("button", name="Label the docs", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit task")
    dialog.get_by_role("group", name="Labels").get_by_label("docs").check()
    dialog.get_by_role("group", name="Labels").get_by_label("bug").check()
    dialog.get_by_role("button", name="Save").click()
    expect(ui.chips(ui.card(other, "Label the docs"))).to_have_text(["bug", "docs"])

    ui.screenshot(page, artifacts / "board-labels.png")

    # The filter: tasks with every chosen label.
    filters = page.get_by_role("search", name="Filter tasks")
    cards = page.locator("li.card .card-title")
    expect(cards).to_have_count(3)
    filters.get_by_role("button", name="bug").click()
    expect(cards).to_have_text(["Fix the login", "Label the docs"])
    filters.get_by_role("button", name="docs").click()
    expect(cards).to_have_text(["Label the docs"])
    expect(filters).to_contain_text("Showing 1 of 3 tasks")
    filters.get_by_role("button", name="Clear filters").click()
    expect(cards).to_have_count(3)

    # Rename and recolour in the manager: every chip follows, on both pages.
    panel = ui.open_labels(page)
    row = panel.get_by_role("form", name="Label bug")
    row.get_by_label("Name of label bug").fill("defect")
    row.get_by_label("Colour of label bug").fill("#0000ff")
    row.get_by_role("button", name="Save").click()
    expect(ui.chips(ui.card(other, "Fix the login"))).to_have_text(["defect"])
    expect(ui.chips(ui.card(other, "Label the docs"))).to_have_text(["defect", "docs"])
    assert ui.chips(ui.card(other, "Fix the login")).evaluate(
        "el => getComputedStyle(el).backgroundColor"
    ) == "rgb(0, 0, 255)"

    # Deleting a label (asked first) takes it off every card, live.
    panel.get_by_role("button", name="Delete label docs").click()
    panel.get_by_role("button", name="Yes, delete “docs”").click()
    expect(ui.chips(ui.card(other, "Label the docs"))).to_have_text(["defect"])
    expect(filters_b.get_by_role("button", name="docs")).to_have_count(0)
    labels = server.gql("query($b: ID!) { board(id: $b) { labels { name color } } }", {"b": board_id}, b.token)
    assert labels["board"]["labels"] == [{"name": "defect", "color": "#0000ff"}]


def test_rename_and_delete_the_board(new_page, server: Server) -> None:
    a, b = server.sign_up("Ros"), server.sign_up("Ray")
    name = f"Old name {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, a, name, b)
    ui.api_task(server, a, board_id, "Something to lose")
    page, other = new_page(), new_page()
    ui.log_in(page, a)
    ui.open_board(page, name)
    ui.log_in(other, b)
    ui.open_board(other, name)

    # Any member renames; the other page renames live.
    new_name = f"New name {uuid.uuid4().hex[:6]}"
    ui.board_menu(other, "Rename board…")
    dialog = other.get_by_role("dialog", name="Rename board")
    dialog.get_by_label("Board name").fill(new_name)
    dialog.get_by_role("button", name="Rename").click()
    expect(other.get_by_role("heading", level=1, name=new_name)).to_be_visible()
    expect(page.get_by_role("heading", level=1, name=new_name)).to_be_visible()
    assert page.title() == f"{new_name} — Taskboard"

    # Only owners see Delete.
    other.get_by_role("button", name="Board ▾").click()
    expect(other.locator("#board-menu").get_by_role("button", name="Delete board…")).to_have_count(0)
    other.get_by_role("button", name="Board ▾").click()

    # Deleting asks first and says what goes with the board; "Keep it" keeps it.
    ui.board_menu(page, "Delete board…")
    dialog = page.get_by_role("dialog", name="Delete board")
    expect(dialog).to_contain_text("Its 1 task, their comments and the board's labels are deleted")
    expect(dialog).to_contain_text("its 1 other member loses access")
    expect(dialog).to_contain_text("The activity log keeps the board's history")
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_be_hidden()
    ui.board_menu(page, "Delete board…")
    page.get_by_role("dialog", name="Delete board").get_by_role("button", name="Delete this board").click()

    # Both leave for the boards list with a notice; the board is gone from it.
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=f"The board “{new_name}” was deleted.")).to_be_visible()
    expect(other.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(other.get_by_role("status").filter(has_text=f"{a.name} deleted the board “{new_name}”.")).to_be_visible()
    expect(other.get_by_role("link", name=new_name)).to_have_count(0)
    assert board_id not in [x["id"] for x in server.gql("{ boards { id } }", None, a.token)["boards"]]
