"""Two people on one board, each in their own browser context."""

from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Account, Server


def test_live_board_between_two_people(new_page, server: Server, artifacts: Path) -> None:
    uid = uuid.uuid4().hex[:6]
    a = Account("Ada", f"ada-{uid}@example.com")
    b = Account("Bob", f"bob-{uid}@example.com")
    page_a, page_b = new_page(), new_page()

    ui.sign_up(page_b, b)
    ui.sign_up(page_a, a, verify=server)  # task mail goes only to a confirmed address
    board = f"Sprint {uid}"
    ui.create_board(page_a, board)
    ui.add_member(page_a, b.email)

    ui.open_board(page_b, board)

    # A creates a task for B, due tomorrow: B sees it appear without reloading.
    title = f"CI/CD Test {uid}"
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    ui.create_task(page_a, title, assignee=b, deadline=tomorrow, description="Pipeline for the board service")
    ui.expect_in_column(page_b, title, "TODO")
    card_b = ui.card(page_b, title)
    expect(card_b.locator(".assignee")).to_have_text("Bob")
    expect(card_b.get_by_text("Due soon")).to_be_visible()

    # B drags it to Done; A sees it move.
    card_b.drag_to(ui.column(page_b, "DONE"))
    ui.expect_in_column(page_b, title, "DONE")
    ui.expect_in_column(page_a, title, "DONE")
    expect(ui.card(page_a, title).get_by_text("Due soon")).to_have_count(0)

    # The activity panel lists both changes.
    panel = ui.open_activity(page_a)
    refresh = panel.get_by_role("button", name="Refresh")
    ui.wait_for_text(panel, re.compile("^Bob moved " + re.escape(title) + " to Done$"), refresh)
    ui.wait_for_text(panel, re.compile("^Ada created " + re.escape(title) + "$"), refresh)
    entries = panel.locator("ol.activity > li")
    assert entries.count() >= 2

    # The task's own history too.
    ui.card(page_a, title).get_by_role("button", name=f"History of “{title}”").click()
    expect(panel.get_by_role("heading", name=f"History: {title}")).to_be_visible()
    expect(panel.locator("ol.activity > li")).to_have_count(2)

    # A fuller board for the screenshots: an overdue task and one in progress.
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    ui.create_task(page_a, "Write the release notes", assignee=a, deadline=yesterday)
    expect(ui.card(page_a, "Write the release notes").get_by_text("Overdue")).to_be_visible()
    ui.create_task(page_a, "Review the Terraform plan", assignee=b)
    ui.card(page_a, "Review the Terraform plan").get_by_label("Move “Review the Terraform plan” to").select_option(
        "IN_PROGRESS"
    )
    ui.expect_in_column(page_a, "Review the Terraform plan", "IN_PROGRESS")
    ui.expect_in_column(page_b, "Review the Terraform plan", "IN_PROGRESS")
    ui.card(page_a, title).get_by_role("button", name=f"History of “{title}”").click()

    # Screenshots: desktop, then phone width.
    ui.screenshot(page_a, artifacts / "board-desktop.png")
    page_a.get_by_role("button", name="Close panel").click()
    ui.screenshot(page_a, artifacts / "board-desktop-no-panel.png")
    page_a.set_viewport_size({"width": 390, "height": 844})
    expect(ui.card(page_a, title)).to_be_visible()
    overflow = page_a.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the board is {overflow}px wider than a phone"
    ui.screenshot(page_a, artifacts / "board-phone.png")

    # The mail A got: the development mail page lists it.
    deadline = time.monotonic() + 30
    while True:
        html = httpx.get(f"{server.url}/dev/mail", timeout=10).text
        if title in html and "Done" in html:
            break
        assert time.monotonic() < deadline, "no mail about the move to Done"
        time.sleep(0.5)
    mail = new_page()
    mail.goto("/dev/mail")
    article = (
        mail.locator("article")
        .filter(has=mail.locator("h2", has_text=title))
        .filter(has=mail.locator("h2", has_text="moved to Done"))
        .filter(has=mail.locator("p", has_text=a.email))
    )
    expect(article).to_have_count(1)
    expect(article.get_by_role("heading")).to_contain_text(board)
