"""Issue 19, item 8: one session for the browser's tabs (the refresh token in an
HttpOnly cookie the page never sees), and logging out in one tab ends it in all."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Server


def test_a_new_tab_stays_logged_in_and_logout_ends_every_tab(new_page, server: Server) -> None:
    ada = server.sign_up("Ada")
    first = new_page()
    ui.log_in(first, ada)
    # The page never holds the refresh token.
    stored = first.evaluate("() => JSON.stringify({...sessionStorage}) + JSON.stringify({...localStorage}) + document.cookie")
    assert "refreshToken" not in stored, stored
    cookies = first.context.cookies()
    session = [c for c in cookies if c["path"] == "/auth"]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict", cookies

    second = first.context.new_page()
    second.goto("/")
    expect(second.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(second.get_by_role("button", name="Log in")).to_have_count(0)

    # Log out in the second tab: the first one is logged out too, and stays so after a reload.
    second.get_by_role("button", name="Log out").click()
    expect(second.get_by_label("Email")).to_be_visible()
    expect(first.get_by_label("Email")).to_be_visible(timeout=5_000)
    expect(first.get_by_text(re.compile("logged out", re.I))).to_be_visible()
    first.reload()
    expect(first.get_by_label("Email")).to_be_visible()
    third = first.context.new_page()
    third.goto("/")
    expect(third.get_by_label("Email")).to_be_visible()

    # Logging in again in one tab brings the tabs still on the log-in page along.
    ui.log_in(first, ada)
    expect(third.get_by_role("heading", name="Your boards")).to_be_visible(timeout=5_000)
