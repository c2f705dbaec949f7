"""Invitations: an owner invites any address; its verified holder accepts or declines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from models.tables import BoardInvitation
from tests.api.accounts_kit import mails_to, token_of, verify
from tests.api.helpers import activity, add_member, board_seqs, codes, new_board, runtime_of
from tests.conftest import Api

invitations_t = BoardInvitation.__table__  # type: ignore[attr-defined]
INVITE = """mutation($b: ID!, $e: String!, $r: BoardRole) { inviteToBoard(boardId: $b, email: $e, role: $r) {
  id boardId boardName email role invitedBy { id email } createdAt expiresAt } }"""
REVOKE = "mutation($id: ID!) { revokeInvitation(id: $id) }"
ACCEPT = "mutation($id: ID, $t: String) { acceptInvitation(id: $id, token: $t) { role user { id } } }"
DECLINE = "mutation($id: ID!) { declineInvitation(id: $id) }"
BOARD_INVITATIONS = "query($id: ID!) { board(id: $id) { invitations { id email role } } }"
MY_INVITATIONS = "query { viewer { invitations { id boardId boardName role invitedBy { email } } } }"


async def invite(api: Api, owner: dict[str, Any], board: str, email: str, role: str = "MEMBER") -> dict[str, Any]:
    data = await api.ok(INVITE, {"b": board, "e": email, "r": role}, owner["token"])
    out: dict[str, Any] = data["inviteToBoard"]
    return out


async def test_an_address_without_an_account_is_invited_signs_up_verifies_and_accepts(api: Api) -> None:
    owner = await api.signup("Owner")
    board = await new_board(api, owner, "Roadmap")
    email = "newcomer-invited@example.com"
    inv = await invite(api, owner, board, email.upper(), "OWNER")
    assert inv["email"] == email and inv["role"] == "OWNER" and inv["boardName"] == "Roadmap"
    assert inv["invitedBy"]["id"] == owner["id"]
    expires = datetime.fromisoformat(inv["expiresAt"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    (mail,) = await mails_to(api, email, "AccountInvitation")
    assert mail["boardName"] == "Roadmap" and "/invitations/accept?" in mail["link"]
    data = await api.ok(BOARD_INVITATIONS, {"id": board}, owner["token"])
    assert [i["id"] for i in data["board"]["invitations"]] == [inv["id"]]

    data = await api.ok("mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }",
                        {"i": {"email": email, "name": "New", "password": "password-123"}})
    newcomer = {"token": data["signUp"]["accessToken"], "id": data["signUp"]["user"]["id"], "email": email}
    # Unverified: the invitation is not shown and cannot be accepted.
    assert (await api.ok(MY_INVITATIONS, token=newcomer["token"]))["viewer"]["invitations"] == []
    assert codes(await api.gql(ACCEPT, {"t": token_of(mail)}, newcomer["token"])) == ["FORBIDDEN"]
    await verify(api, newcomer)
    mine = (await api.ok(MY_INVITATIONS, token=newcomer["token"]))["viewer"]["invitations"]
    assert mine == [{"id": inv["id"], "boardId": board, "boardName": "Roadmap", "role": "OWNER",
                     "invitedBy": {"email": owner["email"]}}]
    data = await api.ok(ACCEPT, {"t": token_of(mail)}, newcomer["token"])
    assert data["acceptInvitation"] == {"role": "OWNER", "user": {"id": newcomer["id"]}}
    assert (await api.ok(MY_INVITATIONS, token=newcomer["token"]))["viewer"]["invitations"] == []
    assert (await api.ok(BOARD_INVITATIONS, {"id": board}, owner["token"]))["board"]["invitations"] == []
    entries = await activity(api, owner, board)
    assert entries[0]["kind"] == "MEMBER_ADDED" and entries[0]["actorEmail"] == email
    assert await board_seqs(api, board) == [1]
    # Used: the link is dead.
    body = await api.gql(ACCEPT, {"t": token_of(mail)}, newcomer["token"])
    assert codes(body) == ["BAD_USER_INPUT"]


async def test_accept_by_id_and_decline(api: Api) -> None:
    owner, guest = await api.signup("Owner"), await api.signup("Guest")
    await verify(api, guest)
    board = await new_board(api, owner)
    first = await invite(api, owner, board, guest["email"])
    assert (await api.ok(DECLINE, {"id": first["id"]}, guest["token"]))["declineInvitation"] is True
    assert codes(await api.gql(ACCEPT, {"id": first["id"]}, guest["token"])) == ["NOT_FOUND"]
    second = await invite(api, owner, board, guest["email"])
    data = await api.ok(ACCEPT, {"id": second["id"]}, guest["token"])
    assert data["acceptInvitation"]["role"] == "MEMBER"


async def test_members_see_no_invitations_outsiders_see_no_board(api: Api) -> None:
    owner, member, outsider = await api.signup("Owner"), await api.signup("Member"), await api.signup("Out")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    inv = await invite(api, owner, board, "someone@example.com")
    assert (await api.ok(BOARD_INVITATIONS, {"id": board}, member["token"]))["board"]["invitations"] == []
    body = await api.gql(BOARD_INVITATIONS, {"id": board}, outsider["token"])
    assert body["data"]["board"] is None or codes(body) == ["NOT_FOUND"]
    assert codes(await api.gql(INVITE, {"b": board, "e": "x@example.com"}, member["token"])) == ["FORBIDDEN"]
    assert codes(await api.gql(INVITE, {"b": board, "e": "x@example.com"}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(REVOKE, {"id": inv["id"]}, member["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(REVOKE, {"id": inv["id"]}, outsider["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(INVITE, {"b": board, "e": "x@example.com"})) == ["UNAUTHENTICATED"]


async def test_inviting_a_member_is_a_conflict(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    assert codes(await api.gql(INVITE, {"b": board, "e": member["email"]}, owner["token"])) == ["CONFLICT"]
    assert codes(await api.gql(INVITE, {"b": board, "e": "not an address"}, owner["token"])) == ["BAD_USER_INPUT"]


async def test_revoked_and_expired_invitations_cannot_be_accepted(api: Api) -> None:
    owner, guest = await api.signup("Owner"), await api.signup("Guest")
    await verify(api, guest)
    board = await new_board(api, owner)
    inv = await invite(api, owner, board, guest["email"])
    token = token_of((await mails_to(api, guest["email"], "AccountInvitation"))[-1])
    assert (await api.ok(REVOKE, {"id": inv["id"]}, owner["token"]))["revokeInvitation"] is True
    assert codes(await api.gql(ACCEPT, {"t": token}, guest["token"])) == ["BAD_USER_INPUT"]
    inv = await invite(api, owner, board, guest["email"])
    token = token_of((await mails_to(api, guest["email"], "AccountInvitation"))[-1])
    async with runtime_of(api.app).engine.begin() as conn:
        await conn.execute(update(invitations_t).where(invitations_t.c.id == inv["id"])
                           .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert codes(await api.gql(ACCEPT, {"t": token}, guest["token"])) == ["BAD_USER_INPUT"]
    assert codes(await api.gql(ACCEPT, {"id": inv["id"]}, guest["token"])) == ["NOT_FOUND"]
    assert (await api.ok(MY_INVITATIONS, token=guest["token"]))["viewer"]["invitations"] == []


async def test_someone_elses_invitation_is_refused(api: Api) -> None:
    owner, guest, other = await api.signup("Owner"), await api.signup("Guest"), await api.signup("Other")
    await verify(api, other)
    board = await new_board(api, owner)
    inv = await invite(api, owner, board, guest["email"])
    token = token_of((await mails_to(api, guest["email"], "AccountInvitation"))[-1])
    assert codes(await api.gql(ACCEPT, {"id": inv["id"]}, other["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(ACCEPT, {"t": token}, other["token"])) == ["FORBIDDEN"]
    assert codes(await api.gql(DECLINE, {"id": inv["id"]}, other["token"])) == ["NOT_FOUND"]
    assert codes(await api.gql(ACCEPT, {}, other["token"])) == ["BAD_USER_INPUT"]


async def test_node_finds_an_invitation_for_its_owner_and_invitee_only(api: Api) -> None:
    owner, guest, member = await api.signup("Owner"), await api.signup("Guest"), await api.signup("Member")
    await verify(api, guest)
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    inv = await invite(api, owner, board, guest["email"])
    query = "query($id: ID!) { node(id: $id) { id ... on BoardInvitation { email boardName } } }"
    for user in (owner, guest):
        data = await api.ok(query, {"id": inv["id"]}, user["token"])
        assert data["node"]["id"] == inv["id"] and data["node"]["email"] == guest["email"]
    assert codes(await api.gql(query, {"id": inv["id"]}, member["token"])) == ["NOT_FOUND"]
