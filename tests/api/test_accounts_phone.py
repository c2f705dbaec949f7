"""Phone verification: a 6-digit code, 10 minutes, 5 tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from models.tables import PhoneCode
from tests.api.accounts_kit import mails_to
from tests.api.helpers import codes, runtime_of
from tests.conftest import Api

codes_t = PhoneCode.__table__  # type: ignore[attr-defined]
REQUEST = "mutation($p: String!) { requestPhoneVerification(phoneNumber: $p) }"
VERIFY = "mutation($c: String!) { verifyPhone(code: $c) { phoneNumber phoneVerified } }"
SETTINGS = "query { viewer { notificationSettings { phoneNumber phoneVerified } } }"
NUMBER = "+821012345678"


async def texted_codes(api: Api, user_id: str) -> list[str]:
    from sqlalchemy import select

    from models.tables import AccountMessage

    t = AccountMessage.__table__  # type: ignore[attr-defined]
    async with runtime_of(api.app).engine.connect() as conn:
        rows = await conn.execute(select(t.c.payload).where(t.c.user_id == user_id, t.c.detail_type == "AccountPhoneCode")
                                  .order_by(t.c.created_at))
        return [r[0]["code"] for r in rows]


async def test_the_texted_code_confirms_the_number(api: Api) -> None:
    user = await api.signup("Pat")
    assert (await api.ok(REQUEST, {"p": "+82 10-1234-5678"}, user["token"]))["requestPhoneVerification"] is True
    settings = (await api.ok(SETTINGS, token=user["token"]))["viewer"]["notificationSettings"]
    assert settings == {"phoneNumber": NUMBER, "phoneVerified": False}
    (code,) = await texted_codes(api, user["id"])
    assert len(code) == 6 and code.isdigit()
    assert await mails_to(api, user["email"], "AccountPhoneCode") == []  # a text, not a mail
    data = await api.ok(VERIFY, {"c": code}, user["token"])
    assert data["verifyPhone"] == {"phoneNumber": NUMBER, "phoneVerified": True}
    # Single use.
    assert codes(await api.gql(VERIFY, {"c": code}, user["token"])) == ["BAD_USER_INPUT"]


async def test_five_tries_then_the_code_is_dead(api: Api) -> None:
    user = await api.signup("Quinn")
    await api.ok(REQUEST, {"p": NUMBER}, user["token"])
    (code,) = await texted_codes(api, user["id"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert codes(await api.gql(VERIFY, {"c": wrong}, user["token"])) == ["BAD_USER_INPUT"]
    body = await api.gql(VERIFY, {"c": code}, user["token"])
    assert codes(body) == ["BAD_USER_INPUT"]
    settings = (await api.ok(SETTINGS, token=user["token"]))["viewer"]["notificationSettings"]
    assert settings["phoneVerified"] is False


async def test_an_expired_code_is_refused(api: Api) -> None:
    user = await api.signup("Rae")
    await api.ok(REQUEST, {"p": NUMBER}, user["token"])
    (code,) = await texted_codes(api, user["id"])
    async with runtime_of(api.app).engine.begin() as conn:
        await conn.execute(update(codes_t).where(codes_t.c.user_id == user["id"])
                           .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert codes(await api.gql(VERIFY, {"c": code}, user["token"])) == ["BAD_USER_INPUT"]


async def test_a_code_for_an_old_number_confirms_nothing(api: Api) -> None:
    user = await api.signup("Sam")
    await api.ok(REQUEST, {"p": NUMBER}, user["token"])
    (code,) = await texted_codes(api, user["id"])
    await api.ok("mutation { updateNotificationSettings(input: {phoneNumber: \"+821099999999\"}) { phoneNumber } }",
                 token=user["token"])
    assert codes(await api.gql(VERIFY, {"c": code}, user["token"])) == ["BAD_USER_INPUT"]


async def test_bad_numbers_and_anonymous_callers(api: Api) -> None:
    user = await api.signup("Tom")
    assert codes(await api.gql(REQUEST, {"p": "12345"}, user["token"])) == ["BAD_USER_INPUT"]
    assert codes(await api.gql(REQUEST, {"p": NUMBER})) == ["UNAUTHENTICATED"]
    assert codes(await api.gql(VERIFY, {"c": "123456"})) == ["UNAUTHENTICATED"]
    assert codes(await api.gql(VERIFY, {"c": "123456"}, user["token"])) == ["BAD_USER_INPUT"]
