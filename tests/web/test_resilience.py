"""Conflicting edits, dropped connections and token expiry."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.web import ui
from tests.web.conftest import Account, Server, run_server


def _board_with(server: Server, new_page, *people: str) -> tuple[list[Account], list, str, str]:
    """Accounts made through the API, a board owned by the first with the others as members, each logged in."""
    accts = [server.sign_up(p) for p in people]
    board_name = f"Board {uuid.uuid4().hex[:6]}"
    board_id = server.gql("mutation($n: String!) { createBoard(name: $n) { id } }", {"n": board_name}, accts[0].token)[
        "createBoard"
    ]["id"]
    for other in accts[1:]:
        server.gql(
            "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }",
            {"b": board_id, "e": other.email},
            accts[0].token,
        )
    pages = []
    for acct in accts:
        page = new_page()
        ui.log_in(page, acct)
        ui.open_board(page, board_name)
        pages.append(page)
    return accts, pages, board_id, board_name


def _create(server: Server, token: str, board_id: str, title: str, **extra: object) -> dict:
    task: dict = server.gql(
        "mutation($i: CreateTaskInput!) { createTask(input: $i) { id version } }",
        {"i": {"boardId": board_id, "title": title, **extra}},
        token,
    )["createTask"]
    return task


def test_conflicting_edit_shows_the_newer_version_and_can_retry(new_page, server: Server) -> None:
    (a, b), (page_a, page_b), board_id, _ = _board_with(server, new_page, "Ada", "Bob")
    _create(server, a.token, board_id, "Draft the plan", assigneeId=b.id)
    ui.expect_in_column(page_a, "Draft the plan", "TODO")
    ui.expect_in_column(page_b, "Draft the plan", "TODO")

    # Both open the task at version 1.
    ui.card(page_a, "Draft the plan").get_by_role("button", name="Draft the plan", exact=True).click()
    ui.card(page_b, "Draft the plan").get_by_role("button", name="Draft the plan", exact=True).click()
    dialog_a = page_a.get_by_role("dialog", name="Edit task")
    dialog_b = page_b.get_by_role("dialog", name="Edit task")

    # Ada starts on the title; Bob saves first, the title and the description.
    dialog_a.get_by_label("Title").fill("Plan by Ada")
    dialog_b.get_by_label("Title").fill("Plan by Bob")
    dialog_b.get_by_label("Description").fill("Bob's outline")
    dialog_b.get_by_role("button", name="Save").click()
    expect(dialog_b).to_be_hidden()
    expect(ui.card(page_a, "Plan by Bob")).to_be_visible()  # live, behind A's dialog

    # Both changed the title: Ada is shown Bob's version at once, and her edit is not lost.
    alert = dialog_a.get_by_role("alert")
    expect(alert).to_contain_text("Bob saved a newer version of this task")
    expect(alert).not_to_contain_text(b.email)
    expect(alert.locator("td.theirs")).to_contain_text(["Plan by Bob", "Bob's outline"])
    expect(dialog_a.get_by_label("Title")).to_have_value("Plan by Ada")
    expect(dialog_a.get_by_label("Description")).to_have_value("Bob's outline")  # theirs, she had not touched it
    # Nothing was overwritten meanwhile.
    expect(ui.card(page_b, "Plan by Bob")).to_be_visible()

    # She retries on top of Bob's version.
    alert.get_by_role("button", name="Save my version").click()
    expect(dialog_a).to_be_hidden()
    expect(ui.card(page_a, "Plan by Ada")).to_be_visible()
    expect(ui.card(page_b, "Plan by Ada")).to_be_visible()
    task = server.gql(
        "query($b: ID!) { board(id: $b) { tasks { edges { node { title description version } } } } }",
        {"b": board_id},
        a.token,
    )["board"]["tasks"]["edges"][0]["node"]
    assert task == {"title": "Plan by Ada", "description": "Bob's outline", "version": 3}


def test_conflicting_move_shows_the_newer_version(new_page, server: Server) -> None:
    """A drag that loses to someone else's change is not applied blindly."""
    a, b = server.sign_up("Ada"), server.sign_up("Bob")
    board_id = server.gql('mutation { createBoard(name: "Moves") { id } }', token=a.token)["createBoard"]["id"]
    server.gql(
        "mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }",
        {"b": board_id, "e": b.email},
        a.token,
    )
    task = _create(server, a.token, board_id, "Contested", assigneeId=b.id)

    # Ada's live feed can be held back, so that she has not heard of Bob's change when she drags.
    held: list[str | bytes] = []
    hold = {"on": False}
    sockets: list = []

    def relay(ws) -> None:
        sockets.append(ws)
        upstream = ws.connect_to_server()
        ws.on_message(lambda m: upstream.send(m))

        def down(m: str | bytes) -> None:
            if hold["on"]:
                held.append(m)
            else:
                ws.send(m)

        upstream.on_message(down)

    page_a = new_page()
    page_a.route_web_socket("**/graphql", relay)
    ui.log_in(page_a, a)
    ui.open_board(page_a, "Moves")
    ui.expect_in_column(page_a, "Contested", "TODO")

    hold["on"] = True
    server.gql(
        'mutation($t: ID!) { updateTask(id: $t, input: {title: "Contested v2", status: IN_PROGRESS}) { id } }',
        {"t": task["id"]},
        b.token,
    )
    ui.card(page_a, "Contested").drag_to(ui.column(page_a, "DONE"))
    alert = page_a.get_by_role("alert")
    expect(alert).to_contain_text("was not moved")
    expect(alert).to_contain_text("In progress")
    ui.expect_in_column(page_a, "Contested v2", "IN_PROGRESS")  # the newer version, not Ada's move
    hold["on"] = False
    for m in held:  # Ada's feed catches up; the versions it brings are not newer than what she shows
        sockets[-1].send(m)
    page_a.wait_for_timeout(300)
    ui.expect_in_column(page_a, "Contested v2", "IN_PROGRESS")
    # Ada moves it again, now knowingly.
    ui.card(page_a, "Contested v2").drag_to(ui.column(page_a, "DONE"))
    ui.expect_in_column(page_a, "Contested v2", "DONE")

    def final() -> dict:
        got: dict = server.gql("query($t: ID!) { task(id: $t) { status version } }", {"t": task["id"]}, a.token)
        return got["task"]

    assert ui.eventually(lambda: final() == {"status": "DONE", "version": 3}), final()


def test_reconnect_resumes_after_seq_and_misses_nothing(new_page, server: Server) -> None:
    (a, b), (page_a, page_b), board_id, _ = _board_with(server, new_page, "Ada", "Bob")
    _create(server, a.token, board_id, "Moves while Bob is away")
    gone = _create(server, a.token, board_id, "Deleted while Bob is away")
    ui.expect_in_column(page_b, "Moves while Bob is away", "TODO")
    ui.expect_in_column(page_b, "Deleted while Bob is away", "TODO")

    # Bob's network goes away and his socket with it.
    page_b.context.set_offline(True)
    page_b.evaluate("window.__taskboard.dropConnection()")
    expect(ui.live_status(page_b)).not_to_have_text("Live", timeout=5_000)

    # Ada changes the board meanwhile, in her browser.
    ui.card(page_a, "Moves while Bob is away").get_by_label("Move “Moves while Bob is away” to").select_option("DONE")
    ui.expect_in_column(page_a, "Moves while Bob is away", "DONE")
    ui.create_task(page_a, "Created while Bob is away", assignee=b)
    server.gql("mutation($t: ID!) { deleteTask(id: $t) }", {"t": gone["id"]}, a.token)
    expect(ui.card(page_a, "Deleted while Bob is away")).to_have_count(0)

    # Still offline: Bob has not seen any of it.
    page_b.wait_for_timeout(1_000)
    assert page_b.evaluate("window.__taskboard.liveState()") != "live"
    ui.expect_in_column(page_b, "Moves while Bob is away", "TODO")
    expect(ui.card(page_b, "Created while Bob is away")).to_have_count(0)

    # Back online: it reconnects with afterSeq and catches up, without a reload.
    page_b.context.set_offline(False)
    ui.expect_live(page_b)
    ui.expect_in_column(page_b, "Moves while Bob is away", "DONE")
    ui.expect_in_column(page_b, "Created while Bob is away", "TODO")
    expect(ui.card(page_b, "Deleted while Bob is away")).to_have_count(0)
    last_seq = server.gql("query($b: ID!) { board(id: $b) { lastSeq } }", {"b": board_id}, a.token)["board"]["lastSeq"]
    page_b.wait_for_function(f"window.__taskboard.lastSeq() === {last_seq}")

    # And live again afterwards.
    ui.create_task(page_a, "After the reconnect")
    ui.expect_in_column(page_b, "After the reconnect", "TODO")


def test_access_token_is_refreshed_and_the_feed_survives_expiry(
    playwright_browser, web_dist: Path, tmp_path: Path
) -> None:
    # A server whose access tokens live 4 s: the client refreshes ahead of expiry,
    # and the socket the server closes (4403) at expiry comes back with the new token.
    with run_server(tmp_path, web_dist, TASKBOARD_ACCESS_TOKEN_TTL="4", TASKBOARD_AWS="off") as srv:
        ctx = playwright_browser.new_context(viewport={"width": 1280, "height": 800}, base_url=srv.url)
        ctx.set_default_timeout(10_000)
        try:
            page = ctx.new_page()
            acct = Account("Tess", f"tess-{uuid.uuid4().hex[:6]}@example.com")
            ui.sign_up(page, acct)
            ui.create_board(page, "Short tokens")
            # The refresh token lives in the HttpOnly session cookie (the page never sees it).
            def refresh_cookie() -> str:
                return next(c["value"] for c in ctx.cookies() if c["path"] == "/auth")

            first = refresh_cookie()
            page.wait_for_timeout(9_000)  # two lifetimes
            second = refresh_cookie()
            assert first != second, "the tokens were not refreshed"
            ui.expect_live(page)
            ui.create_task(page, "Still signed in")
            expect(page.get_by_role("alert")).to_have_count(0)
            # Another session (API) changes the board: the renewed socket delivers it.
            token = srv.gql(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
                {"e": acct.email, "p": "correct-horse-battery"},
            )["login"]["accessToken"]
            board_id = page.url.rsplit("/", 1)[1]
            srv.gql(
                "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
                {"i": {"boardId": board_id, "title": "From elsewhere"}},
                token,
            )
            ui.expect_in_column(page, "From elsewhere", "TODO")
        finally:
            ctx.close()
