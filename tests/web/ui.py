"""Steps a person takes in the web client, for the browser tests."""

from __future__ import annotations

import html
import re
import time
import urllib.parse
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import PASSWORD, Account

STATUS_LABEL = {"TODO": "To do", "IN_PROGRESS": "In progress", "IN_REVIEW": "In review", "DONE": "Done"}


def sign_up(page: Page, acct: Account, *, verify: Any = None) -> None:
    """Sign up; it ends on "Check your mail".  With `verify=server`, also follow the
    link mailed to the address (task mail goes only to confirmed addresses)."""
    page.goto("/")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Email").fill(acct.email)
    page.get_by_label("Name").fill(acct.name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    if verify is not None:
        verify_address(page, verify, acct.email)
    page.get_by_role("link", name=re.compile("to your boards")).click()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


# ---------------------------------------------------------------------------
# The development mail page: the links account mails carry, and phone codes


def mails_to(server: Any, email: str, subject: str) -> list[str]:
    """The plain-text bodies of the mails to `email` whose subject has `subject`, newest first."""
    page = httpx.get(f"{server.url}/dev/mail", timeout=10).text
    out = []
    for article in page.split("<article>")[1:]:
        head, _, rest = article.partition("</h2>")
        to = re.search(r"<b>To:</b>([^<]*)", rest)
        if subject in html.unescape(head) and to and email.lower() in html.unescape(to.group(1)).lower():
            body = re.search(r"<pre>(.*?)</pre>", rest, re.S)
            out.append(html.unescape(body.group(1)) if body else "")
    return out


def mail_link(server: Any, email: str, path: str, timeout: float = 20) -> str:
    """The newest link to `path` (e.g. /verify-email) mailed to `email`, as a path on the test server."""
    deadline = time.monotonic() + timeout
    while True:
        page = httpx.get(f"{server.url}/dev/mail", timeout=10).text
        for article in page.split("<article>")[1:]:  # newest first
            to = re.search(r"<b>To:</b>([^<]*)", article)
            link = re.search(re.escape(server.url + path) + r"[^\s<]*", html.unescape(article))
            if to and email.lower() in html.unescape(to.group(1)).lower() and link:
                return link.group(0)[len(server.url):]
        assert time.monotonic() < deadline, f"no mail to {email} with a link to {path}"
        time.sleep(0.3)


def sms_code(server: Any, number: str, timeout: float = 20) -> str:
    """The newest 6-digit code texted to `number`."""
    deadline = time.monotonic() + timeout
    while True:
        page = html.unescape(httpx.get(f"{server.url}/dev/mail", timeout=10).text)
        for line in page.split("<li>")[1:]:
            code = re.search(r"\b(\d{6})\b", line.split("</b>", 1)[-1].replace(number, ""))
            if number in line and code:
                return code.group(1)
        assert time.monotonic() < deadline, f"no code texted to {number}"
        time.sleep(0.3)


def verify_address(page: Page, server: Any, email: str) -> None:
    """Open the confirmation link mailed to `email` in `page` (signed in as its owner)."""
    page.goto(mail_link(server, email, "/verify-email"))
    expect(page.get_by_role("status")).to_have_text(f"Your address {email} is confirmed.")


def api_verify(server: Any, acct: Any) -> None:
    """Confirm an account's address through the API, with the token mailed to it."""
    link = mail_link(server, acct.email, "/verify-email")
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)["token"][0]
    server.gql("mutation($t: String!) { verifyEmail(token: $t) { emailVerified } }", {"t": token}, acct.token)


def log_in(page: Page, acct: Account) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(acct.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").last.click()
    expect(page.get_by_role("heading", name="Your boards")).to_be_visible()


def live_status(page: Page) -> Locator:
    return page.locator("#live-status")


def expect_live(page: Page) -> None:
    expect(live_status(page)).to_have_text("Live", timeout=15_000)


def create_board(page: Page, name: str) -> str:
    page.get_by_label("New board name").fill(name)
    page.get_by_role("button", name="Create board").click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect_live(page)
    m = re.search(r"#/board/(.+)$", page.url)
    assert m, page.url
    return m.group(1)


def open_board(page: Page, name: str) -> None:
    """From the board list, freshly loaded (the reload also resumes the tab's session)."""
    page.goto("/#/")
    page.reload()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    expect_live(page)


def add_member(page: Page, email: str) -> None:
    members = page.get_by_role("button", name=re.compile(r"^Members"))
    if members.get_attribute("aria-expanded") != "true":
        members.click()
    panel = page.get_by_role("complementary", name="Members")
    panel.get_by_label("Add member by email").fill(email)
    panel.get_by_role("button", name="Add member").click()
    expect(panel.get_by_text(email)).to_be_visible()


def create_task(
    page: Page, title: str, assignee: Account | None = None, deadline: str | None = None, description: str = ""
) -> Locator:
    page.get_by_role("button", name="New task").click()
    dialog = page.get_by_role("dialog", name="New task")
    dialog.get_by_label("Title").fill(title)
    if description:
        dialog.get_by_label("Description").fill(description)
    if assignee:
        dialog.get_by_label("Assignee").select_option(label=f"{assignee.name} ({assignee.email})")
    if deadline:
        dialog.get_by_label("Deadline").fill(deadline)
    dialog.get_by_role("button", name="Create task").click()
    expect(dialog).to_be_hidden()
    c = card(page, title)
    expect(c).to_be_visible()
    return c


def card(page: Page, title: str) -> Locator:
    return page.locator("li.card").filter(has=page.get_by_role("button", name=title, exact=True))


def column(page: Page, status: str) -> Locator:
    return page.locator(f'section.column[data-status="{status}"]')


def expect_in_column(page: Page, title: str, status: str, timeout: float = 10_000) -> None:
    expect(
        column(page, status).locator("li.card").filter(has=page.get_by_role("button", name=title, exact=True))
    ).to_be_visible(timeout=timeout)


def open_activity(page: Page) -> Locator:
    btn = page.get_by_role("button", name="Activity", exact=True)
    if btn.get_attribute("aria-expanded") != "true":
        btn.click()
    return page.get_by_role("complementary", name="Activity")


def wait_for_text(panel: Locator, pattern: re.Pattern[str], refresh: Locator, timeout: float = 20) -> None:
    """The activity log is written just after the change commits: look again until it shows."""
    deadline = time.monotonic() + timeout
    while True:
        if panel.get_by_text(pattern).count():
            return
        if time.monotonic() > deadline:
            expect(panel.get_by_text(pattern).first).to_be_visible(timeout=1)
        refresh.click()
        panel.page.wait_for_timeout(500)


def screenshot(page: Page, path: Any) -> None:
    page.screenshot(path=str(path), full_page=True)


def eventually(fn: Any, timeout: float = 10) -> Any:
    """fn() until it returns something truthy (for state the server confirms after the page shows it)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# Labels, comments, the board menu and manual order


def column_titles(page: Page, status: str) -> Locator:
    """The titles of a column's cards, in the order shown."""
    return column(page, status).locator("li.card .card-title")


def board_menu(page: Page, item: str) -> None:
    """Choose an entry of the board menu (Rename board…, Labels, Delete board…)."""
    page.get_by_role("button", name="Board ▾").click()
    page.locator("#board-menu").get_by_role("button", name=item).click()


def open_labels(page: Page) -> Locator:
    panel = page.get_by_role("complementary", name="Labels")
    if not panel.count():
        board_menu(page, "Labels")
    expect(panel).to_be_visible()
    return panel


def create_label(page: Page, name: str, color: str) -> None:
    panel = open_labels(page)
    form = panel.get_by_role("form", name="New label")
    form.get_by_label("New label").fill(name)
    form.get_by_label("Colour").fill(color)
    form.get_by_role("button", name="Add label").click()
    expect(panel.get_by_role("form", name=f"Label {name}")).to_be_visible()


def chips(locator: Locator) -> Locator:
    return locator.locator("ul.chips .chip")


def open_comments(page: Page, title: str) -> Locator:
    """The task panel of a card, with its comments."""
    card(page, title).get_by_role("button", name=re.compile(r"^Comments on “" + re.escape(title) + "”")).click()
    panel = page.get_by_role("complementary", name="Task")
    expect(panel.get_by_role("heading", name=title)).to_be_visible()
    expect(panel.get_by_text("Loading comments…")).to_have_count(0)
    return panel


def comment_bodies(panel: Locator) -> Locator:
    return panel.locator("ol.comment-list .comment-body")


def add_comment(panel: Locator, text: str) -> None:
    before = comment_bodies(panel).count()
    panel.get_by_role("combobox", name="Add a comment").fill(text)
    panel.get_by_role("button", name="Comment", exact=True).click()
    expect(comment_bodies(panel)).to_have_count(before + 1)


# ---------------------------------------------------------------------------
# Setting a board up through the API (faster than clicking, for what a test does not look at)


def api_board(server: Any, owner: Any, name: str, *members: Any) -> str:
    board_id: str = server.gql("mutation($n: String!) { createBoard(name: $n) { id } }", {"n": name}, owner.token)[
        "createBoard"
    ]["id"]
    for m in members:
        server.gql(
            "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }",
            {"b": board_id, "e": m.email},
            owner.token,
        )
    return board_id


def api_task(server: Any, who: Any, board_id: str, title: str, **extra: object) -> str:
    task_id: str = server.gql(
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
        {"i": {"boardId": board_id, "title": title, **extra}},
        who.token,
    )["createTask"]["id"]
    return task_id
