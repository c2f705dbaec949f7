"""Accounts in the browser: sign-up ends on "check your mail", the banner while the
address is unconfirmed, the confirmation link, a forgotten password and its reset
link, the login limit, and the settings page (name, notifications, phone and its
code, password, deleting the account).  Links and codes are read from the development
mail page, as a person would read their mail."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.web import ui
from tests.web.conftest import PASSWORD, Account, Server

VERIFY_SUBJECT = "Confirm your email address"
RESET_SUBJECT = "Reset your Taskboard password"


def banner(page: Page) -> Locator:
    return page.get_by_role("region", name="Confirm your address")


def login_form(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").last.click()


def test_sign_up_check_mail_banner_and_confirmation(new_page, server: Server) -> None:
    page = new_page()
    acct = Account("Vera", f"vera-{uuid.uuid4().hex[:6]}@example.com")
    page.goto("/")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Email").fill(acct.email)
    page.get_by_label("Name").fill(acct.name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"We sent a link to {acct.email}")
    page.get_by_role("main").get_by_role("button", name="Send the link again").click()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text("Sent: a new link is on its way.")
    ui.eventually(lambda: len(ui.mails_to(server, acct.email, VERIFY_SUBJECT)) == 2, timeout=20)

    # Until the address is confirmed, every page says so, with a way to resend.
    page.get_by_role("link", name="Continue to your boards").click()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(banner(page)).to_contain_text(f"Please confirm your address {acct.email}")
    page.reload()
    expect(banner(page)).to_be_visible()

    # The link (one click) confirms it; the banner goes.
    link = ui.mail_link(server, acct.email, "/verify-email")
    page.goto(link)
    expect(page.get_by_role("status")).to_have_text(f"Your address {acct.email} is confirmed.")
    expect(banner(page)).to_have_count(0)
    assert "token" not in page.url  # the spent token leaves the address bar
    page.get_by_role("link", name="Go to your boards").click()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(banner(page)).to_have_count(0)

    # A used link says so, and offers a new one.
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("This link does not work any more")
    expect(page.get_by_role("button", name="Send a new link")).to_be_visible()
    assert len(ui.mails_to(server, acct.email, VERIFY_SUBJECT)) == 2


def test_confirmation_link_while_signed_out_asks_to_log_in(new_page, server: Server) -> None:
    acct = server.sign_up("Otto")
    page = new_page()
    page.goto(ui.mail_link(server, acct.email, "/verify-email"))
    expect(page.get_by_text("Log in to confirm your address.")).to_be_visible()
    login_form(page, acct.email, PASSWORD)
    expect(page.get_by_role("status")).to_have_text(f"Your address {acct.email} is confirmed.")
    verified = server.gql("{ viewer { emailVerified } }", token=acct.token)["viewer"]["emailVerified"]
    assert verified is True


def test_forgot_password_and_the_reset_page(new_page, server: Server) -> None:
    acct = server.sign_up("Rosa")
    other_session = new_page()
    ui.log_in(other_session, acct)

    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Forgot your password?").click()
    form = page.get_by_role("form", name="Reset your password")
    form.get_by_label("Email").fill(acct.email)
    form.get_by_role("button", name="Send reset link").click()
    expect(form.get_by_role("status")).to_contain_text(f"If {acct.email} has an account, a link to reset")
    # An unknown address is answered alike (and mails nobody).
    form.get_by_label("Email").fill("nobody-" + acct.email)
    form.get_by_role("button", name="Send reset link").click()
    expect(form.get_by_role("status")).to_contain_text(f"If nobody-{acct.email} has an account, a link to reset")

    link = ui.mail_link(server, acct.email, "/reset-password")
    assert len(ui.mails_to(server, acct.email, RESET_SUBJECT)) == 1
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("a-new-password-1")
    page.get_by_label("New password again").fill("a-different-one-2")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ")
    page.get_by_label("New password again").fill("a-new-password-1")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Your password is changed")).to_be_visible()
    assert "token" not in page.url

    # Every other session ended: the other tab is signed out when it resumes.
    other_session.reload()
    expect(other_session.get_by_role("button", name="Sign up")).to_be_visible()

    # The link works once.
    page.get_by_role("button", name="Log out").click()
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("yet-another-password")
    page.get_by_label("New password again").fill("yet-another-password")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_role("alert")).to_contain_text("This reset link does not work any more")

    page.get_by_role("link", name="Back to log in").click()
    login_form(page, acct.email, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Could not log in: the email or password is wrong.")
    login_form(page, acct.email, "a-new-password-1")
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


def test_login_limit_says_how_long_and_offers_a_reset(new_page, server: Server) -> None:
    acct = server.sign_up("Lim")
    page = new_page()
    page.goto("/")
    alert = page.get_by_role("alert")
    for _ in range(10):
        login_form(page, acct.email, "not-the-password")
        expect(alert).to_contain_text(re.compile("wrong|Too many"))
        if "Too many" in (alert.text_content() or ""):
            break
    # The server's own wait (15 minutes by default), not a guess.
    expect(alert).to_have_text(
        re.compile(r"Too many failed attempts for this address\. Try again in 1[45] minutes, or reset your password\.")
    )
    page.get_by_role("button", name="Reset your password").click()
    expect(page.get_by_role("form", name="Reset your password")).to_be_visible()
    page.get_by_label("Email").fill(acct.email)
    page.get_by_role("button", name="Send reset link").click()
    page.goto(ui.mail_link(server, acct.email, "/reset-password"))
    page.get_by_label("New password", exact=True).fill("after-the-limit-1")
    page.get_by_label("New password again").fill("after-the-limit-1")
    page.get_by_role("button", name="Set password and log in").click()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


def test_settings_phone_code_and_password(new_page, server: Server, artifacts: Path) -> None:
    acct = server.sign_up("Pia")
    other_session = new_page()
    ui.log_in(other_session, acct)
    page = new_page()
    ui.log_in(page, acct)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()

    phone = page.get_by_role("form", name="Phone number")
    phone.get_by_label("Phone number").fill("12345")
    phone.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("alert")).to_contain_text("international format")
    number = f"+8210{uuid.uuid4().int % 10**8:08d}"
    phone.get_by_label("Phone number").fill(number)
    phone.get_by_role("button", name="Text me a code").click()
    expect(page.locator(".phone-state")).to_have_text(f"{number} (not confirmed: no texts go to it)")
    confirm = page.get_by_role("form", name="Confirm the number")
    code = ui.sms_code(server, number)
    confirm.get_by_label("Code from the text message").fill("000000" if code != "000000" else "111111")
    confirm.get_by_role("button", name="Confirm number").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    confirm.get_by_label("Code from the text message").fill(code)
    confirm.get_by_role("button", name="Confirm number").click()
    expect(page.locator(".phone-state")).to_have_text(f"{number} (confirmed)")
    ui.screenshot(page, artifacts / "settings.png")
    settings = server.gql("{ viewer { notificationSettings { phoneNumber phoneVerified } } }", token=acct.token)
    assert settings["viewer"]["notificationSettings"] == {"phoneNumber": number, "phoneVerified": True}

    pw = page.get_by_role("form", name="Change password")
    pw.get_by_label("Current password").fill("not-my-password")
    pw.get_by_label("New password").fill("changed-password-1")
    pw.get_by_role("button", name="Change password").click()
    expect(pw.get_by_role("alert")).to_contain_text("Could not change the password: the current password is not right.")
    pw.get_by_label("Current password").fill(PASSWORD)
    pw.get_by_role("button", name="Change password").click()
    expect(pw.get_by_role("status")).to_have_text("Password changed. Every other session was logged out.")
    # This tab keeps working on the new session; the other one is signed out.
    page.reload()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    other_session.reload()
    expect(other_session.get_by_role("button", name="Sign up")).to_be_visible()

    phone.get_by_role("button", name="Remove the number").click()
    expect(page.locator(".phone-state")).to_have_text("No phone number.")


def test_delete_account(new_page, server: Server) -> None:
    acct, member = server.sign_up("Del"), server.sign_up("Stay")
    board_id = ui.api_board(server, acct, f"Shared {uuid.uuid4().hex[:6]}", member)
    ui.api_board(server, acct, f"Own {uuid.uuid4().hex[:6]}")
    page = new_page()
    ui.log_in(page, acct)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Delete my account…").click()
    form = page.get_by_role("form", name="Delete account")
    form.get_by_label("Your password, to confirm").fill("wrong-password")
    form.get_by_role("button", name="Delete my account for good").click()
    expect(form.get_by_role("alert")).to_contain_text("Could not delete the account: the password is not right.")
    form.get_by_label("Your password, to confirm").fill(PASSWORD)
    form.get_by_role("button", name="Delete my account for good").click()
    expect(form.get_by_role("alert")).to_contain_text("last owner of a board that has other members")

    server.gql(
        "mutation($b: ID!, $u: ID!) { changeMemberRole(boardId: $b, userId: $u, role: OWNER) { role } }",
        {"b": board_id, "u": member.id},
        acct.token,
    )
    form.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("status").filter(has_text="deleted")).to_have_text("Your account is deleted.")
    login_form(page, acct.email, PASSWORD)
    expect(page.get_by_role("alert")).to_have_text("Could not log in: the email or password is wrong.")


def test_task_mail_opens_the_task(new_page, server: Server) -> None:
    """A task mail's "Open the task" link (/boards/<id>?task=<id>) opens the board with that task's panel."""
    sup, worker = server.sign_up("Sue"), server.sign_up("Wes")
    ui.api_verify(server, sup)  # task mail goes only to a confirmed address
    board = f"Mailed {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, sup, board, worker)
    task_id = ui.api_task(server, sup, board_id, "Ship the release", assigneeId=worker.id)
    server.gql("mutation($t: ID!) { updateTask(id: $t, input: {status: DONE}) { version } }", {"t": task_id},
               worker.token)
    link = ui.mail_link(server, sup.email, f"/boards/{board_id}?task=")
    page = new_page()
    ui.log_in(page, sup)
    page.goto(link)
    expect(page.get_by_role("heading", level=1, name=board)).to_be_visible()
    panel = page.get_by_role("complementary", name="Task")
    expect(panel.get_by_role("heading", name="Ship the release")).to_be_visible()


def test_settings_change_the_name(new_page, server: Server) -> None:
    acct = server.sign_up("Nora")
    limit = server.gql("{ limits { personNameMaxLength } }")["limits"]["personNameMaxLength"]
    page = new_page()
    ui.log_in(page, acct)
    page.get_by_role("link", name="Settings").click()
    form = page.get_by_role("form", name="Your name")
    field = form.get_by_label("Name")
    save = form.get_by_role("button", name="Save name")
    expect(field).to_have_value("Nora")
    expect(save).to_be_disabled()  # nothing changed yet

    # The server's own limit: one character over is shown, and not sent.
    field.fill("n" * (limit + 1))
    expect(form.locator("#profile-name-limit")).to_contain_text("1 character too long")
    expect(save).to_be_disabled()
    field.fill("   ")
    save.click()
    expect(form.get_by_role("alert")).to_contain_text("Enter your name.")

    field.fill("  Nora Renamed ")
    save.click()
    expect(form.get_by_role("status")).to_have_text("Name saved.")
    expect(field).to_have_value("Nora Renamed")
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Nora Renamed")
    assert server.gql("{ viewer { user { name } } }", token=acct.token)["viewer"]["user"]["name"] == "Nora Renamed"
    page.reload()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Nora Renamed")
