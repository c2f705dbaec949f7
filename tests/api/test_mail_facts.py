"""What the mails of a change need travels in its event, resolved at commit: the
actor's name (mails name people by name), and links to the board and the task on
the web board's public address."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.api.accounts_kit import mails_to, token_of, verify
from tests.api.helpers import ADD_MEMBER, UPDATE_TASK, create_task, new_board, runtime_of
from tests.api.test_accounts_invitations import ACCEPT, invite
from tests.conftest import Api, mark_verified

PUBLIC = "http://localhost:8000"  # the test settings' public_url (the default)


async def _details(api: Api, board: str) -> list[dict[str, Any]]:
    import json

    async with runtime_of(api.app).engine.connect() as conn:
        rows = await conn.execute(text("SELECT payload FROM board_events WHERE board_id = :b ORDER BY seq"),
                                  {"b": board})
        return [p if isinstance(p, dict) else json.loads(p) for (p,) in rows]


async def test_task_events_carry_the_actor_name_and_the_links(api: Api) -> None:
    owner, pic = await api.signup("Olga"), await api.signup("Pic")
    board = await new_board(api, owner, "Facts")
    await mark_verified(api.app, pic["id"])
    await api.ok(ADD_MEMBER, {"b": board, "e": pic["email"], "r": "MEMBER"}, owner["token"])
    task = await create_task(api, owner, board, "Linked", assigneeId=pic["id"])
    await api.ok(UPDATE_TASK, {"id": task["id"], "i": {"title": "Linked 2"}}, pic["token"])
    added, created, updated = await _details(api, board)
    assert added["actorName"] == "Olga" and created["actorName"] == "Olga" and updated["actorName"] == "Pic"
    for detail in (added, created, updated):
        assert detail["boardUrl"] == f"{PUBLIC}/boards/{board}"
    assert created["taskUrl"] == updated["taskUrl"] == f"{PUBLIC}/boards/{board}?task={task['id']}"
    assert "taskUrl" not in added
    (rcpt,) = added["recipients"]
    assert rcpt["boardLink"] == added["boardUrl"]


async def test_an_invitation_names_the_inviter_and_accepting_names_them_again(api: Api) -> None:
    owner = await api.signup("Olga")
    board = await new_board(api, owner, "Invited")
    email = f"guest-{owner['id'][-8:]}@example.com"
    await invite(api, owner, board, email)
    (mail,) = await mails_to(api, email, "AccountInvitation")
    assert mail["invitedBy"] == "Olga"
    data = await api.ok("mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }",
                        {"i": {"email": email, "name": "Gwen", "password": "password-123"}})
    guest = {"token": data["signUp"]["accessToken"], "id": data["signUp"]["user"]["id"], "email": email}
    await verify(api, guest)
    await api.ok(ACCEPT, {"t": token_of(mail)}, guest["token"])
    (joined,) = await _details(api, board)
    assert joined["actorName"] == "Gwen"
    (rcpt,) = joined["recipients"]
    assert rcpt["addedBy"] == "Olga"
