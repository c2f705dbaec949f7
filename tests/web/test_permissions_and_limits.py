"""Issue 19, items 1, 3, 6 and 12: controls that match what the server allows,
limits from the server, a question before removing a member, names of spaces."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web import people, ui
from tests.web.conftest import Server

CAN = "query($t: ID!) { task(id: $t) { viewerCan { update move delete updateReason moveReason deleteReason } } }"


def test_controls_match_what_the_viewer_may_do(new_page, server: Server) -> None:
    (ada, bob), (page_a, page_b), board_id, _ = people.board_with(server, new_page, "Ada", "Bob")
    task_id = ui.api_task(server, ada, board_id, "Plan the retro")
    ui.api_task(server, ada, board_id, "Bob's own", assigneeId=bob.id)
    can = server.gql(CAN, {"t": task_id}, bob.token)["task"]["viewerCan"]
    assert not can["update"] and not can["move"] and not can["delete"]

    # Bob may not move Ada's task: no drag handle, the card is not draggable, the move select is off.
    theirs = ui.card(page_b, "Plan the retro")
    expect(theirs).to_be_visible()
    expect(theirs.locator(".drag-handle")).to_have_count(0)
    expect(theirs).not_to_have_attribute("draggable", "true")
    expect(theirs.get_by_role("combobox")).to_be_disabled()
    expect(theirs).to_contain_text(can["moveReason"])
    # His own task moves.
    mine = ui.card(page_b, "Bob's own")
    expect(mine.locator(".drag-handle")).to_have_count(1)
    expect(mine).to_have_attribute("draggable", "true")
    expect(mine.get_by_role("combobox")).to_be_enabled()

    # The editor: Save and Delete are off, with the server's reasons beside them.
    theirs.get_by_role("button", name="Plan the retro", exact=True).click()
    dialog = page_b.get_by_role("dialog", name="Edit task")
    expect(dialog.get_by_role("button", name="Save")).to_be_disabled()
    expect(dialog.get_by_role("button", name=re.compile("^Delete"))).to_be_disabled()
    expect(dialog.get_by_label("Title")).to_be_disabled()
    expect(dialog).to_contain_text(can["updateReason"])
    expect(dialog).to_contain_text(can["deleteReason"])
    dialog.get_by_role("button", name="Cancel").click()

    # Ada (owner and supervisor) has every control.
    card_a = ui.card(page_a, "Plan the retro")
    expect(card_a.locator(".drag-handle")).to_have_count(1)
    card_a.get_by_role("button", name="Plan the retro", exact=True).click()
    dialog_a = page_a.get_by_role("dialog", name="Edit task")
    expect(dialog_a.get_by_role("button", name="Save")).to_be_enabled()
    expect(dialog_a.get_by_role("button", name=re.compile("^Delete"))).to_be_enabled()

    # Once Ada assigns it to Bob, his card offers the move, live.
    server.gql("mutation($t: ID!, $u: ID!) { updateTask(id: $t, input: {assigneeId: $u}) { id } }",
               {"t": task_id, "u": bob.id}, ada.token)
    expect(theirs.locator(".drag-handle")).to_have_count(1)
    expect(theirs.get_by_role("combobox")).to_be_enabled()


def test_limits_come_from_the_server_and_a_paste_is_not_cut(new_page, server: Server) -> None:
    _, (page,), _, _ = people.board_with(server, new_page, "Ada")
    lim = people.limits(server)
    most = lim["titleMaxLength"]
    page.get_by_role("button", name="New task").click()
    dialog = page.get_by_role("dialog", name="New task")
    title = dialog.get_by_label("Title")

    title.fill("a" * (most - 5))  # near the limit: a counter shows
    expect(dialog.get_by_text(f"{most - 5} / {most}")).to_be_visible()
    pasted = "b" * (most + 7)
    title.fill(pasted)  # too long: kept as pasted, and said so
    expect(title).to_have_value(pasted)
    expect(dialog.get_by_text(f"{most + 7} / {most}")).to_be_visible()
    expect(dialog).to_contain_text("7 characters too long")
    expect(dialog.get_by_role("button", name="Create task")).to_be_disabled()
    title.fill("Short")
    expect(dialog.get_by_text(re.compile(rf"\d+ / {most}$"))).to_have_count(0)  # far from it: no counter

    # The description and the comment field take their limits from the same place.
    dialog.get_by_label("Description").fill("d" * (lim["descriptionMaxLength"] + 1))
    expect(dialog).to_contain_text("1 character too long")
    dialog.get_by_role("button", name="Cancel").click()


def test_board_names_of_spaces_are_refused_with_a_message(new_page, server: Server) -> None:
    ada = server.sign_up("Ada")
    page = new_page()
    ui.log_in(page, ada)
    page.get_by_label("New board name").fill("    ")
    page.get_by_role("button", name="Create board").click()
    expect(page.get_by_role("alert")).to_contain_text("A board needs a name")
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


def test_removing_a_member_asks_first_and_says_what_happens(new_page, server: Server) -> None:
    (ada, bob), (page_a, _), board_id, _ = people.board_with(server, new_page, "Ada", "Bob")
    for title in ("One", "Two"):
        ui.api_task(server, ada, board_id, title, assigneeId=bob.id)
    ui.expect_in_column(page_a, "Two", "TODO")
    page_a.get_by_role("button", name=re.compile(r"^Members")).click()
    panel = page_a.get_by_role("complementary", name="Members")
    panel.get_by_role("button", name=f"Remove Bob ({bob.email})").click()

    ask = page_a.get_by_role("alertdialog", name=re.compile("Remove Bob"))
    expect(ask).to_contain_text("Bob's 2 tasks on this board will be unassigned")
    ask.get_by_role("button", name="Keep Bob").click()
    expect(ask).to_be_hidden()
    expect(panel.get_by_text(bob.email)).to_be_visible()
    expect(panel.get_by_role("button", name=f"Remove Bob ({bob.email})")).to_be_focused()

    panel.get_by_role("button", name=f"Remove Bob ({bob.email})").click()
    page_a.get_by_role("alertdialog").get_by_role("button", name="Remove Bob").click()
    expect(panel.get_by_text(bob.email)).to_have_count(0)
    expect(ui.card(page_a, "One").locator(".assignee")).to_have_text("Unassigned")



def test_errors_read_as_a_person_would_say_them(new_page, server: Server) -> None:
    (_, bob), (page, _), _, _ = people.board_with(server, new_page, "Ada", "Bob")
    page.get_by_role("button", name=re.compile(r"^Members")).click()
    panel = page.get_by_role("complementary", name="Members")
    panel.get_by_label("Add member by email").fill(bob.email)
    panel.get_by_role("button", name="Add member").click()
    alert = panel.get_by_role("alert")
    expect(alert.locator("span").first).to_have_text(
        "Could not add the member. That user is already a member of this board.")
    expect(alert).not_to_contain_text("conflicts with a change")
