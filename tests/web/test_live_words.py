"""Issue 19, items 4, 5, 9 and 10, two people each in their own browser context:
an activity log that reads like prose, the boards list following membership live,
a highlight on what someone else changed, an editor that takes their changes in
place, and people named by name."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.web import people, ui
from tests.web.conftest import Server


def test_activity_reads_like_prose(new_page, server: Server) -> None:
    (ada, bob), (page_a, page_b), _, _ = people.board_with(server, new_page, "Ada", "Bob")
    ui.create_task(page_a, "Plan the retro", assignee=bob)
    ui.expect_in_column(page_b, "Plan the retro", "TODO")
    ui.card(page_b, "Plan the retro").get_by_role("combobox").select_option("IN_REVIEW")
    ui.expect_in_column(page_a, "Plan the retro", "IN_REVIEW")

    panel = ui.open_activity(page_a)
    refresh = panel.get_by_role("button", name="Refresh")
    ui.wait_for_text(panel, re.compile(r"^Bob moved Plan the retro to In review$"), refresh)
    expect(panel.get_by_text(re.compile(r"^Ada created Plan the retro$"))).to_be_visible()
    expect(panel.locator("ol.activity time").first).to_have_text(re.compile(r"^(just now|\d+ min ago)$"))
    expect(panel).not_to_contain_text(ada.email)
    expect(panel).not_to_contain_text(bob.email)
    assert not re.search(r"\d{4}-\d\d-\d\dT", panel.inner_text())  # no raw timestamps


def test_boards_list_follows_membership_and_cards_others_change_light_up(new_page, server: Server) -> None:
    ada, bob = server.sign_up("Ada"), server.sign_up("Bob")
    page_b = new_page()
    ui.log_in(page_b, bob)
    expect(page_b.get_by_text("No boards yet")).to_be_visible()

    # Ada adds Bob in her own browser: his list shows the board without a reload.
    page_a = new_page()
    ui.log_in(page_a, ada)
    name = f"Retro {uuid.uuid4().hex[:6]}"
    ui.create_board(page_a, name)
    ui.add_member(page_a, bob.email)
    link = page_b.get_by_role("link", name=name)
    expect(link).to_be_visible()
    expect(page_b.locator(".board-list li.new")).to_contain_text(name)
    expect(page_b.get_by_role("status").filter(has_text="Ada added you to")).to_be_visible()

    # On the board, a card Ada changes lights up for Bob, with her name; his own changes do not.
    link.click()
    ui.expect_live(page_b)
    ui.create_task(page_a, "Agenda", assignee=bob)
    card_b = ui.card(page_b, "Agenda")
    expect(card_b).to_have_class(re.compile(r"\bchanged\b"))
    expect(card_b).to_contain_text("Ada just changed this")
    card_b.get_by_role("combobox").select_option("IN_PROGRESS")
    ui.expect_in_column(page_a, "Agenda", "IN_PROGRESS")
    expect(ui.card(page_a, "Agenda")).to_contain_text("Bob just changed this")
    expect(ui.card(page_a, "Agenda")).not_to_contain_text(bob.email)


def test_open_editor_takes_others_changes_in_place_and_keeps_mine(new_page, server: Server) -> None:
    (ada, bob), (page_a, page_b), board_id, _ = people.board_with(server, new_page, "Ada", "Bob")
    task_id = ui.api_task(server, ada, board_id, "Draft", assigneeId=bob.id, description="First outline")
    ui.expect_in_column(page_a, "Draft", "TODO")
    ui.card(page_a, "Draft").get_by_role("button", name="Draft", exact=True).click()
    dialog = page_a.get_by_role("dialog", name="Edit task")
    dialog.get_by_label("Description").fill("Ada's outline")

    # Bob renames it meanwhile: Ada's untouched title follows, her description stays.
    ui.expect_in_column(page_b, "Draft", "TODO")
    server.gql("mutation($t: ID!) { updateTask(id: $t, input: {title: \"Draft by Bob\", deadline: \"2031-05-01\"}) { id } }",
               {"t": task_id}, bob.token)
    expect(dialog.get_by_label("Title")).to_have_value("Draft by Bob")
    expect(dialog.get_by_label("Deadline")).to_have_value("2031-05-01")
    expect(dialog.get_by_label("Description")).to_have_value("Ada's outline")
    expect(dialog.get_by_role("status")).to_contain_text("Bob changed this task while you were editing")
    expect(dialog.get_by_role("status")).not_to_contain_text(bob.email)  # (the assignee picker lists addresses)
    expect(dialog).not_to_contain_text(re.compile(r"version \d"))

    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    task = server.gql("query($t: ID!) { task(id: $t) { title description deadline } }", {"t": task_id}, ada.token)["task"]
    assert task == {"title": "Draft by Bob", "description": "Ada's outline", "deadline": "2031-05-01"}
