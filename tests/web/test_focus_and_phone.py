"""Issue 19, items 7, 11 and 12: focus back where it was, the keyboard hint in
sight, axe-core on every page, a phone-sized board with touch drag, and the small
things (favicon, "All boards" at the top, members panel words, "My tasks").
The board's screenshots in docs/ are taken here."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.web import people, ui
from tests.web.conftest import Server


def test_focus_returns_and_axe_finds_nothing_serious(new_page, server: Server) -> None:
    page = new_page()
    page.goto("/")
    expect(page.get_by_label("Email")).to_be_visible()
    assert people.axe_violations(page) == [], "login page"

    (ada, bob), (page_a, _), board_id, _ = people.board_with(server, new_page, "Ada", "Bob")
    ui.api_task(server, ada, board_id, "Plan the retro", assigneeId=bob.id, deadline="2031-01-02")
    ui.expect_in_column(page_a, "Plan the retro", "TODO")
    hint = page_a.locator("#kbd-hint")
    expect(hint).to_contain_text("move")
    hint_box = hint.bounding_box()
    assert hint_box and hint_box["width"] > 100 and hint_box["height"] > 8, hint_box  # in sight, not for screen readers only
    assert people.axe_violations(page_a) == [], "board"

    # The editor: Escape brings focus back to the card's title.
    opener = ui.card(page_a, "Plan the retro").get_by_role("button", name="Plan the retro", exact=True)
    opener.focus()
    page_a.keyboard.press("Enter")
    dialog = page_a.get_by_role("dialog", name="Edit task")
    expect(dialog).to_be_visible()
    assert people.axe_violations(page_a) == [], "task editor"
    page_a.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # A side panel: its close button brings focus back to the button that opened it.
    members = page_a.get_by_role("button", name=re.compile(r"^Members"))
    members.click()
    page_a.get_by_role("complementary", name="Members").get_by_role("button", name="Close panel").click()
    expect(members).to_be_focused()
    # The board menu's dialogs too.
    ui.board_menu(page_a, "Rename board…")
    expect(page_a.get_by_role("dialog", name="Rename board")).to_be_visible()
    page_a.keyboard.press("Escape")
    expect(page_a.get_by_role("button", name="Board ▾")).to_be_focused()

    page_a.goto("/#/")
    expect(page_a.get_by_role("heading", name="Your boards")).to_be_visible()
    assert people.axe_violations(page_a) == [], "boards list"
    page_a.goto("/#/settings")
    expect(page_a.get_by_role("heading", level=1)).to_be_visible()
    assert people.axe_violations(page_a) == [], "settings"


def test_small_things(new_page, server: Server) -> None:
    (ada, bob), (page_a, _), board_id, name = people.board_with(server, new_page, "Ada", "Bob")
    ui.api_task(server, ada, board_id, "Mine to do", assigneeId=ada.id)
    ui.api_task(server, ada, board_id, "Bob's", assigneeId=bob.id)

    # A favicon the server answers.
    href = page_a.locator("link[rel=icon]").get_attribute("href")
    assert href, "no favicon"
    assert httpx.get(server.url + "/" + href.lstrip("/"), timeout=5).status_code == 200

    # "All boards" at the top of a board: above its name, on the first screen.
    box = page_a.get_by_role("link", name=re.compile("All boards")).bounding_box()
    heading = page_a.get_by_role("heading", level=1).bounding_box()
    assert box and heading and box["y"] < heading["y"] and box["y"] < 300, (box, heading)

    # No word broken inside a button of the members panel; no "version N" in the editor.
    page_a.get_by_role("button", name=re.compile(r"^Members")).click()
    panel = page_a.get_by_role("complementary", name="Members")
    expect(panel.get_by_text(bob.email)).to_be_visible()
    broken = people.broken_words(panel)
    assert broken == []
    ui.card(page_a, "Mine to do").get_by_role("button", name="Mine to do", exact=True).click()
    dialog = page_a.get_by_role("dialog", name="Edit task")
    expect(dialog).to_be_visible()
    expect(dialog).not_to_contain_text(re.compile(r"[Vv]ersion"))
    page_a.keyboard.press("Escape")

    # "My tasks": the tasks assigned to me, across boards.
    page_a.get_by_role("link", name="My tasks").click()
    expect(page_a.get_by_role("heading", level=1, name="My tasks")).to_be_visible()
    mine = page_a.get_by_role("main")
    expect(mine.get_by_text("Mine to do")).to_be_visible()
    expect(mine.get_by_text(name)).to_be_visible()
    expect(mine.get_by_text("Bob's")).to_have_count(0)
    assert people.axe_violations(page_a) == [], "my tasks"


def test_phone_board_first_big_targets_and_touch_drag(playwright_browser, server: Server, new_page) -> None:
    ada = server.sign_up("Ada")
    board_id = ui.api_board(server, ada, "Phone board")
    ui.api_task(server, ada, board_id, "Plan the retro", assigneeId=ada.id)
    ctx = playwright_browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                         device_scale_factor=2, base_url=server.url)
    try:
        page = ctx.new_page()
        ui.log_in(page, ada)
        ui.open_board(page, "Phone board")
        card = ui.card(page, "Plan the retro")
        box = card.bounding_box()
        assert box and box["y"] < 300, f"the first card starts {box and box['y']} px down"
        assert people.small_targets(page, "#main") == []
        assert people.small_targets(page, ".topbar") == []

        # The members panel on a phone: whole words, big targets.
        bob = server.sign_up("Bob")
        ui.add_member(page, bob.email)
        panel = page.get_by_role("complementary", name="Members")
        assert people.broken_words(panel) == []
        assert people.small_targets(page, ".side-panel") == []
        panel.get_by_role("button", name="Close panel").click()

        people.touch_drag(page, card.locator(".drag-handle"), ui.column(page, "IN_PROGRESS"))
        ui.expect_in_column(page, "Plan the retro", "IN_PROGRESS")
        status = server.gql("query($b: ID!) { board(id: $b) { tasks { edges { node { status } } } } }",
                            {"b": board_id}, ada.token)["board"]["tasks"]["edges"][0]["node"]["status"]
        assert status == "IN_PROGRESS"
    finally:
        ctx.close()


def test_screenshots_of_the_board(playwright_browser, server: Server, new_page) -> None:
    """docs/board.png and docs/board-phone.png, from the real client."""
    ada, bob = server.sign_up("Ada"), server.sign_up("Bob")
    ui.api_verify(server, ada)  # no "confirm your address" banner in the pictures
    board_id = ui.api_board(server, ada, "Sprint 12", bob)
    for title, extra in [
        ("Plan the retro", {"assigneeId": bob.id, "deadline": "2031-03-04"}),
        ("Write the release notes", {"assigneeId": ada.id, "status": "IN_PROGRESS"}),
        ("Fix the login page", {"assigneeId": bob.id, "status": "IN_REVIEW"}),
        ("Ship 1.4", {"status": "DONE"}),
        ("Ask about the budget", {}),
    ]:
        ui.api_task(server, ada, board_id, title, **extra)
    for path, viewport in [("board.png", {"width": 1280, "height": 800}), ("board-phone.png", {"width": 390, "height": 844})]:
        page = new_page(**viewport)
        ui.log_in(page, ada)
        ui.open_board(page, "Sprint 12")
        expect(ui.card(page, "Ship 1.4")).to_be_visible()
        page.screenshot(path=str(people.DOCS / path), full_page=path == "board.png")
