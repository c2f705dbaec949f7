"""Sign-up, log-in and log-out, error messages, members and notification settings."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Account, Server


def test_auth_errors_and_logout(new_page, server: Server) -> None:
    page = new_page()
    acct = Account("Lee", f"lee-{uuid.uuid4().hex[:6]}@example.com")
    ui.sign_up(page, acct)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You have logged out.")
    page.reload()
    expect(page.get_by_role("button", name="Sign up")).to_be_visible()  # the session is gone

    # The same email again: CONFLICT, said plainly.
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Email").fill(acct.email.upper())
    page.get_by_label("Name").fill("Someone")
    page.get_by_label("Password").fill("another-password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("an account with this email already exists")

    # A wrong password: UNAUTHENTICATED, without saying which part was wrong.
    page.get_by_role("button", name="Log in").first.click()
    page.get_by_label("Email").fill(acct.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("main").get_by_role("button", name="Log in").last.click()
    expect(page.get_by_role("alert")).to_have_text("Could not log in: the email or password is wrong.")

    ui.log_in(page, acct)
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Lee")


def test_members_permissions_and_removal(new_page, server: Server) -> None:
    a, b = server.sign_up("Olive"), server.sign_up("Max")
    name = f"Team {uuid.uuid4().hex[:6]}"
    board_id = server.gql("mutation($n: String!) { createBoard(name: $n) { id } }", {"n": name}, a.token)[
        "createBoard"
    ]["id"]
    server.gql(
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
        {"i": {"boardId": board_id, "title": "Olive's own task"}},
        a.token,
    )
    page_a, page_b = new_page(), new_page()
    ui.log_in(page_a, a)
    ui.open_board(page_a, name)

    # NOT_FOUND for an email nobody signed up with.
    page_a.get_by_role("button", name=re.compile("^Members")).click()
    panel_a = page_a.get_by_role("complementary", name="Members")
    panel_a.get_by_label("Add member by email").fill("nobody-here@example.com")
    panel_a.get_by_role("button", name="Add member").click()
    expect(panel_a.get_by_role("alert")).to_contain_text("No one has signed up with nobody-here@example.com")
    ui.add_member(page_a, b.email)
    # CONFLICT: already a member.
    panel_a.get_by_label("Add member by email").fill(b.email)
    panel_a.get_by_role("button", name="Add member").click()
    expect(panel_a.get_by_role("alert")).to_contain_text("already a member")

    ui.log_in(page_b, b)
    ui.open_board(page_b, name)
    page_b.get_by_role("button", name=re.compile("^Members")).click()
    panel_b = page_b.get_by_role("complementary", name="Members")
    expect(panel_b).to_contain_text("Only the board's owners add and remove members.")
    expect(panel_b.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)

    # Max may not edit a task Olive supervises and nobody is assigned to: the editor says why, before he tries.
    ui.card(page_b, "Olive's own task").get_by_role("button", name="Olive's own task", exact=True).click()
    dialog = page_b.get_by_role("dialog", name="Edit task")
    expect(dialog.get_by_label("Title")).to_be_disabled()
    expect(dialog.get_by_role("button", name="Save")).to_be_disabled()
    expect(dialog).to_contain_text("Only the supervisor, the assignee and the board's owners can change this task.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(ui.card(page_b, "Olive's own task")).to_be_visible()

    # The owner removes Max; his open board says so at once.
    panel_a.get_by_role("button", name=f"Remove Max ({b.email})").click()
    page_a.get_by_role("alertdialog").get_by_role("button", name="Remove Max").click()
    expect(panel_a.get_by_text(b.email)).to_have_count(0)
    expect(page_b.get_by_role("alert")).to_contain_text("You were removed from this board.")
    page_b.get_by_role("link", name="Back to your boards").click()
    expect(page_b.get_by_role("link", name=name)).to_have_count(0)


def test_notification_settings(new_page, server: Server) -> None:
    acct = server.sign_up("Nia")
    page = new_page()
    ui.log_in(page, acct)
    page.get_by_role("link", name="Settings").click()
    form = page.get_by_role("form", name="Notifications")
    change = form.get_by_label("Mail me when a task I supervise or am assigned to changes")
    expect(change).to_be_checked()
    change.uncheck()
    form.get_by_label("Mail me when someone mentions me in a comment").uncheck()
    form.get_by_label("Also text me when a task I am assigned to changes").check()
    form.get_by_role("button", name="Save notification settings").click()
    expect(form.get_by_role("status")).to_have_text("Notification settings saved.")

    settings = server.gql(
        "{ viewer { notificationSettings { emailOnTaskChange smsOnTaskChange emailOnMention emailDeadlineReminders } } }",
        token=acct.token,
    )["viewer"]["notificationSettings"]
    assert settings == {
        "emailOnTaskChange": False,
        "smsOnTaskChange": True,
        "emailOnMention": False,
        "emailDeadlineReminders": True,
    }
    page.reload()
    expect(form.get_by_label("Mail me when a task I supervise or am assigned to changes")).not_to_be_checked()
    expect(form.get_by_label("Mail me when someone mentions me in a comment")).not_to_be_checked()
    expect(form.get_by_label("Mail me about my tasks that are due within a day or overdue")).to_be_checked()
