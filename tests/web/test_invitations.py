"""Invitations, roles and leaving in the browser: an owner invites an address from
the members panel (and revokes one); the invitee opens the mailed link, signs up,
confirms the address and joins; another accepts or declines on the boards list;
owners change roles (a board keeps an owner); a member leaves."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.web import ui
from tests.web.conftest import PASSWORD, Account, Server


def members_panel(page: Page) -> Locator:
    btn = page.get_by_role("button", name=re.compile(r"^Members"))
    if btn.get_attribute("aria-expanded") != "true":
        btn.click()
    return page.get_by_role("complementary", name="Members")


def invite(panel: Locator, email: str, role: str = "Member") -> None:
    form = panel.get_by_role("form", name="Invite by email")
    form.get_by_label("Invite by email").fill(email)
    form.get_by_label("Invited role").select_option(label=role)
    form.get_by_role("button", name="Send invitation").click()
    expect(form.get_by_role("status")).to_have_text(f"Invited {email}. The link we mailed works for 7 days.")


def test_invite_by_link_sign_up_confirm_and_join(new_page, server: Server, artifacts: Path) -> None:
    owner = server.sign_up("Owen")
    uid = uuid.uuid4().hex[:6]
    board = f"Launch {uid}"
    newcomer = Account("Nell", f"nell-{uid}@example.com")
    ui.api_board(server, owner, board)

    page = new_page()
    ui.log_in(page, owner)
    ui.open_board(page, board)
    panel = members_panel(page)
    invite(panel, newcomer.email)
    invite(panel, f"wrong-{uid}@example.com")
    invitations = panel.get_by_role("region", name="Invitations").locator("li")
    expect(invitations.filter(has_text=newcomer.email)).to_be_visible()
    ui.screenshot(page, artifacts / "members-invitations.png")
    invitations.get_by_role("button", name=f"Revoke the invitation of wrong-{uid}@example.com").click()
    expect(invitations.filter(has_text=f"wrong-{uid}@example.com")).to_have_count(0)
    # Inviting a member is refused, said plainly.
    panel.get_by_role("form", name="Invite by email").get_by_label("Invite by email").fill(owner.email)
    panel.get_by_role("button", name="Send invitation").click()
    expect(panel.get_by_role("alert")).to_contain_text("they are a member of this board already")

    # The revoked link no longer works (for its address or anyone).
    revoked = ui.mail_link(server, f"wrong-{uid}@example.com", "/invitations/accept")

    link = ui.mail_link(server, newcomer.email, "/invitations/accept")
    # Someone else's account cannot use it (nor spend it).
    stan = server.sign_up("Stan")
    ui.api_verify(server, stan)
    stranger = new_page()
    ui.log_in(stranger, stan)
    stranger.goto(link)
    expect(stranger.get_by_role("alert")).to_contain_text("this invitation is for another address")

    # The newcomer opens the link signed out, signs up with the invited address...
    guest = new_page()
    guest.goto(link)
    expect(guest.get_by_text("Log in, or sign up, with the address the invitation was sent to")).to_be_visible()
    guest.get_by_role("button", name="Sign up").click()
    guest.get_by_label("Email").fill(newcomer.email)
    guest.get_by_label("Name").fill(newcomer.name)
    guest.get_by_label("Password").fill(PASSWORD)
    guest.get_by_role("button", name="Create account").click()
    # ...is asked to confirm it first...
    expect(guest.get_by_role("heading", name="Invitation")).to_be_visible()
    expect(guest.get_by_role("main")).to_contain_text(f"Confirm your address {newcomer.email} first")
    ui.verify_address(guest, server, newcomer.email)
    # ...and the link, opened again, joins the board in one step.
    guest.goto(link)
    expect(guest.get_by_role("heading", level=1, name=board)).to_be_visible()
    ui.expect_live(guest)
    # On the owner's open board, live: a member now, no longer an open invitation.
    expect(panel.locator("ul.members").first.get_by_text(newcomer.email)).to_be_visible()
    expect(invitations.filter(has_text=newcomer.email)).to_have_count(0)

    guest.goto(link)
    expect(guest.get_by_role("alert")).to_contain_text("This invitation link does not work any more")
    guest.goto(revoked)
    expect(guest.get_by_role("alert")).to_contain_text("This invitation link does not work any more")


def test_accept_and_decline_on_the_boards_list(new_page, server: Server) -> None:
    owner, invitee = server.sign_up("Ida"), server.sign_up("Ivo")
    ui.api_verify(server, invitee)
    uid = uuid.uuid4().hex[:6]
    joined, declined = f"Yes {uid}", f"No {uid}"
    board_ids = {name: ui.api_board(server, owner, name) for name in (joined, declined)}
    for board_id in board_ids.values():
        server.gql(
            "mutation($b: ID!, $e: String!) { inviteToBoard(boardId: $b, email: $e) { id } }",
            {"b": board_id, "e": invitee.email},
            owner.token,
        )
    page = new_page()
    ui.log_in(page, invitee)
    invitations = page.get_by_role("region", name="Invitations to you")
    expect(invitations.get_by_text(f"{joined}: Ida invites you as member")).to_be_visible()
    invitations.get_by_role("button", name=f"Decline the invitation to {declined}").click()
    expect(invitations.get_by_text(declined)).to_have_count(0)
    invitations.get_by_role("button", name=f"Accept the invitation to {joined}").click()
    expect(page.get_by_role("status").filter(has_text="You joined")).to_have_text(f"You joined the board “{joined}”.")
    expect(page.get_by_role("link", name=joined)).to_be_visible()
    expect(page.get_by_role("link", name=declined)).to_have_count(0)
    expect(invitations).to_have_count(0)
    page.reload()
    expect(page.get_by_role("link", name=joined)).to_be_visible()
    expect(page.get_by_role("region", name="Invitations to you")).to_have_count(0)

    # The mail saying so links to the board (/boards/<id>), which opens it.
    page.goto(ui.mail_link(server, invitee.email, "/boards/"))
    expect(page.get_by_role("heading", level=1, name=joined)).to_be_visible()
    assert page.url.endswith(f"/#/board/{board_ids[joined]}")


def test_roles_and_leaving(new_page, server: Server) -> None:
    owner, member = server.sign_up("Rhea"), server.sign_up("Milo")
    board = f"Roles {uuid.uuid4().hex[:6]}"
    board_id = ui.api_board(server, owner, board, member)
    page, other = new_page(), new_page()
    ui.log_in(page, owner)
    ui.open_board(page, board)
    panel = members_panel(page)

    # The only owner cannot step down: the board keeps an owner.
    mine = panel.get_by_label(f"Role of Rhea ({owner.email})")
    mine.select_option("MEMBER")
    expect(panel.get_by_role("alert")).to_contain_text("the board needs at least one owner")
    expect(mine).to_have_value("OWNER")
    panel.get_by_role("button", name="Dismiss message").click()

    ui.log_in(other, member)
    ui.open_board(other, board)
    other_panel = members_panel(other)
    expect(other_panel.get_by_label(f"Role of Rhea ({owner.email})")).to_have_count(0)  # members see no menu
    expect(other_panel.get_by_role("region", name="Invitations")).to_have_count(0)

    panel.get_by_label(f"Role of Milo ({member.email})").select_option("OWNER")
    # Milo's open board learns it live: he now has the owner's controls.
    expect(other_panel.get_by_role("form", name="Invite by email")).to_be_visible()
    roles = server.gql("query($b: ID!) { board(id: $b) { members { role user { id } } } }", {"b": board_id},
                       owner.token)["board"]["members"]
    assert {m["user"]["id"]: m["role"] for m in roles} == {owner.id: "OWNER", member.id: "OWNER"}

    # Leaving says what happens, then leaves.
    other_panel.get_by_role("button", name="Leave board…").click()
    dialog = other.get_by_role("dialog", name="Leave this board?")
    expect(dialog).to_contain_text("Tasks assigned to you there become unassigned")
    dialog.get_by_role("button", name="Stay").click()
    expect(dialog).to_be_hidden()
    other_panel.get_by_role("button", name="Leave board…").click()
    dialog.get_by_role("button", name="Leave board").click()
    expect(other.get_by_role("heading", name="Your boards")).to_be_visible()
    expect(other.get_by_role("status").filter(has_text="You left")).to_have_text(f"You left the board “{board}”.")
    expect(other.get_by_role("link", name=board)).to_have_count(0)
    expect(panel.get_by_text(member.email)).to_have_count(0)
