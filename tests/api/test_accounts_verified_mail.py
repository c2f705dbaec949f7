"""Mail and SMS go only to verified addresses and numbers; being added to a board
mails the person once (issue 16: "signing up with someone else's address sends
that address only the verification mail"; "an unverified phone is never texted")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from models.tables import BoardEventRow, User
from tests.api.accounts_kit import mails_to, verify
from tests.api.helpers import add_member, create_task, new_board, runtime_of, update_task
from tests.conftest import Api

events_t = BoardEventRow.__table__  # type: ignore[attr-defined]
users_t = User.__table__  # type: ignore[attr-defined]
SETTINGS = """mutation($i: NotificationSettingsInput!) { updateNotificationSettings(input: $i) {
  phoneNumber phoneVerified smsOnTaskChange } }"""


async def board_payloads(api: Api, board: str) -> list[dict[str, Any]]:
    async with runtime_of(api.app).engine.connect() as conn:
        rows = await conn.execute(select(events_t.c.payload).where(events_t.c.board_id == board)
                                  .order_by(events_t.c.seq))
        return [r[0] for r in rows]


def emailed(payload: dict[str, Any]) -> set[str]:
    return {r["email"] for r in payload["recipients"] if r.get("sendEmail")}


def texted(payload: dict[str, Any]) -> set[str]:
    return {r["smsNumber"] for r in payload["recipients"] if r.get("smsNumber")}


async def test_someone_elses_address_gets_only_the_verification_mail(api: Api) -> None:
    attacker = await api.signup("Mallory")
    await verify(api, attacker)
    squatted = await api.signup("Victim")  # signed up with an address its holder never confirmed
    board = await new_board(api, attacker)
    await add_member(api, attacker, board, squatted)
    task = await create_task(api, attacker, board, "Spam", assigneeId=squatted["id"])
    await update_task(api, attacker, task["id"], status="DONE")
    payloads = await board_payloads(api, board)
    assert all(squatted["email"] not in emailed(p) for p in payloads)
    assert [m["detailType"] for m in await mails_to(api, squatted["email"])] == ["AccountEmailVerification"]


async def test_a_verified_assignee_is_mailed(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    await verify(api, member)
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    await create_task(api, owner, board, "Real work", assigneeId=member["id"])
    assert member["email"] in emailed((await board_payloads(api, board))[-1])


async def test_an_unverified_phone_is_never_texted(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    await verify(api, member)
    data = await api.ok(SETTINGS, {"i": {"phoneNumber": "+821012345678", "smsOnTaskChange": True}}, member["token"])
    assert data["updateNotificationSettings"]["phoneVerified"] is False
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    await create_task(api, owner, board, "Text me", assigneeId=member["id"])
    assert texted((await board_payloads(api, board))[-1]) == set()
    # Confirmed (as verifyPhone does), the same number is texted.
    async with runtime_of(api.app).engine.begin() as conn:
        from models.tables import utcnow

        await conn.execute(update(users_t).where(users_t.c.id == member["id"]).values(phone_verified_at=utcnow()))
    await create_task(api, owner, board, "Text me again", assigneeId=member["id"])
    assert texted((await board_payloads(api, board))[-1]) == {"+821012345678"}


async def test_a_new_phone_number_is_unconfirmed_again(api: Api) -> None:
    user = await api.signup("Nina")
    async with runtime_of(api.app).engine.begin() as conn:
        from models.tables import utcnow

        await conn.execute(update(users_t).where(users_t.c.id == user["id"])
                           .values(phone_number="+821012345678", phone_verified_at=utcnow()))
    data = await api.ok(SETTINGS, {"i": {"phoneNumber": "+821099999999"}}, user["token"])
    assert data["updateNotificationSettings"]["phoneVerified"] is False
    data = await api.ok(SETTINGS, {"i": {"phoneNumber": None}}, user["token"])
    assert data["updateNotificationSettings"]["phoneVerified"] is False


async def test_being_added_to_a_board_mails_the_verified_member_once(api: Api) -> None:
    owner, verified, unverified = await api.signup("Owner"), await api.signup("Vee"), await api.signup("Una")
    await verify(api, verified)
    board = await new_board(api, owner)
    await add_member(api, owner, board, verified)
    await add_member(api, owner, board, unverified)
    added_verified, added_unverified = await board_payloads(api, board)
    assert emailed(added_verified) == {verified["email"]}
    assert added_verified["recipients"][0]["reason"] == "added"
    assert added_verified["recipients"][0]["boardLink"].endswith(f"/boards/{board}")
    assert emailed(added_unverified) == set()
