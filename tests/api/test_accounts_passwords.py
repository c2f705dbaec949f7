"""Verified addresses, password reset and change (issue 16, items 1, 2 and their abuse tests)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from tests.api.accounts_kit import (
    CHANGE,
    LOGIN,
    REFRESH,
    REQUEST_RESET,
    REQUEST_VERIFICATION,
    RESET,
    VERIFY_EMAIL,
    VIEWER,
    expire_tokens,
    mails_to,
    token_of,
)
from tests.api.helpers import codes
from tests.conftest import Api

BAD_TOKEN = "This link is invalid or has expired"


async def test_sign_up_mails_only_a_verification_link_and_following_it_verifies(api: Api) -> None:
    user = await api.signup("Ann")
    assert (await api.ok(VIEWER, token=user["token"]))["viewer"]["emailVerified"] is False
    mails = await mails_to(api, user["email"])
    assert [m["detailType"] for m in mails] == ["AccountEmailVerification"]
    assert mails[0]["link"].startswith("http") and "/verify-email?token=" in mails[0]["link"]
    data = await api.ok(VERIFY_EMAIL, {"t": token_of(mails[0])}, user["token"])
    assert data["verifyEmail"]["emailVerified"] is True
    assert (await api.ok(VIEWER, token=user["token"]))["viewer"]["emailVerified"] is True
    # Verified: asking again mails nothing.
    assert (await api.ok(REQUEST_VERIFICATION, token=user["token"]))["requestEmailVerification"] is True
    assert len(await mails_to(api, user["email"])) == 1


async def test_verification_tokens_are_single_use_expire_and_are_refused_alike(api: Api) -> None:
    user = await api.signup("Bob")
    first = token_of((await mails_to(api, user["email"]))[0])
    await api.ok(REQUEST_VERIFICATION, token=user["token"])
    second = token_of((await mails_to(api, user["email"]))[1])
    await api.ok(VERIFY_EMAIL, {"t": first}, user["token"])
    used = await api.gql(VERIFY_EMAIL, {"t": first}, user["token"])
    unknown = await api.gql(VERIFY_EMAIL, {"t": "no-such-token"}, user["token"])
    await expire_tokens(api, user["id"])
    expired = await api.gql(VERIFY_EMAIL, {"t": second}, user["token"])
    for body in (used, unknown, expired):
        assert codes(body) == ["BAD_USER_INPUT"]
        assert body["errors"][0]["message"] == BAD_TOKEN


async def test_someone_elses_token_verifies_nothing(api: Api) -> None:
    victim, attacker = await api.signup("Victim"), await api.signup("Attacker")
    token = token_of((await mails_to(api, victim["email"]))[0])
    body = await api.gql(VERIFY_EMAIL, {"t": token}, attacker["token"])
    assert codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["message"] == BAD_TOKEN
    assert (await api.ok(VIEWER, token=attacker["token"]))["viewer"]["emailVerified"] is False
    # ... and was not spent: its holder still can.
    await api.ok(VERIFY_EMAIL, {"t": token}, victim["token"])


async def test_verification_needs_a_signed_in_caller(api: Api) -> None:
    assert codes(await api.gql(REQUEST_VERIFICATION)) == ["UNAUTHENTICATED"]
    assert codes(await api.gql(VERIFY_EMAIL, {"t": "x"})) == ["UNAUTHENTICATED"]


async def test_password_reset_by_mailed_link_ends_every_session(api: Api) -> None:
    user = await api.signup("Cid")
    other_session = (await api.ok(LOGIN, {"e": user["email"], "p": "password-123"}))["login"]
    assert (await api.ok(REQUEST_RESET, {"e": user["email"].upper()}))["requestPasswordReset"] is True
    mail = (await mails_to(api, user["email"], "AccountPasswordReset"))[0]
    assert "/reset-password?token=" in mail["link"]
    data = await api.ok(RESET, {"t": token_of(mail), "p": "new-password-456"})
    assert data["resetPassword"]["user"]["id"] == user["id"]
    # Old refresh tokens are dead; the new one lives; the old password is gone.
    for old in (user["refreshToken"], other_session["refreshToken"]):
        assert codes(await api.gql(REFRESH, {"r": old})) == ["UNAUTHENTICATED"]
    await api.ok(REFRESH, {"r": data["resetPassword"]["refreshToken"]})
    assert codes(await api.gql(LOGIN, {"e": user["email"], "p": "password-123"})) == ["UNAUTHENTICATED"]
    await api.ok(LOGIN, {"e": user["email"], "p": "new-password-456"})
    # The link reached the address: it counts as verified.
    token = data["resetPassword"]["accessToken"]
    assert (await api.ok(VIEWER, token=token))["viewer"]["emailVerified"] is True


async def test_reset_tokens_are_single_use_expire_and_are_refused_alike(api: Api) -> None:
    user = await api.signup("Dee")
    await api.ok(REQUEST_RESET, {"e": user["email"]})
    await api.ok(REQUEST_RESET, {"e": user["email"]})
    first, second = (token_of(m) for m in await mails_to(api, user["email"], "AccountPasswordReset"))
    await api.ok(RESET, {"t": first, "p": "new-password-456"})
    used = await api.gql(RESET, {"t": first, "p": "new-password-789"})
    unknown = await api.gql(RESET, {"t": "garbage", "p": "new-password-789"})
    # A verification token is not a reset token.
    verification = token_of((await mails_to(api, user["email"], "AccountEmailVerification"))[0])
    wrong_kind = await api.gql(RESET, {"t": verification, "p": "new-password-789"})
    await expire_tokens(api, user["id"])
    expired = await api.gql(RESET, {"t": second, "p": "new-password-789"})
    for body in (used, unknown, wrong_kind, expired):
        assert codes(body) == ["BAD_USER_INPUT"], body
        assert body["errors"][0]["message"] == BAD_TOKEN
    await api.ok(LOGIN, {"e": user["email"], "p": "new-password-456"})


async def test_a_weak_new_password_is_refused_and_keeps_the_token(api: Api) -> None:
    user = await api.signup("Eve")
    await api.ok(REQUEST_RESET, {"e": user["email"]})
    token = token_of((await mails_to(api, user["email"], "AccountPasswordReset"))[0])
    assert codes(await api.gql(RESET, {"t": token, "p": "short"})) == ["BAD_USER_INPUT"]
    await api.ok(RESET, {"t": token, "p": "long-enough-1"})


async def test_reset_request_for_an_unknown_address_is_indistinguishable(api: Api) -> None:
    user = await api.signup("Fay")
    known = await api.gql(REQUEST_RESET, {"e": user["email"]})
    unknown = await api.gql(REQUEST_RESET, {"e": "nobody-here@example.com"})
    assert known == unknown == {"data": {"requestPasswordReset": True}}
    assert await mails_to(api, "nobody-here@example.com") == []

    async def timed(email: str) -> float:
        start = time.perf_counter()
        await api.ok(REQUEST_RESET, {"e": email})
        return time.perf_counter() - start

    known_times: list[float] = []
    unknown_times: list[float] = []
    for i in range(15):  # interleaved, so drift hits both alike
        known_times.append(await timed(user["email"]))
        unknown_times.append(await timed(f"nobody-{i}@example.com"))
    k, u = statistics.median(known_times), statistics.median(unknown_times)
    assert abs(k - u) <= max(0.5 * max(k, u), 0.004), (k, u)


async def test_change_password_needs_the_current_one_and_ends_other_sessions(api: Api) -> None:
    user = await api.signup("Gus")
    other = (await api.ok(LOGIN, {"e": user["email"], "p": "password-123"}))["login"]
    body = await api.gql(CHANGE, {"c": "wrong-password", "p": "new-password-456"}, user["token"])
    assert codes(body) == ["BAD_USER_INPUT"]
    await api.ok(REFRESH, {"r": other["refreshToken"]})  # a wrong guess changes nothing
    assert codes(await api.gql(CHANGE, {"c": "password-123", "p": "new-password-456"})) == ["UNAUTHENTICATED"]
    data = await api.ok(CHANGE, {"c": "password-123", "p": "new-password-456"}, user["token"])
    new = data["changePassword"]
    assert codes(await api.gql(REFRESH, {"r": user["refreshToken"]})) == ["UNAUTHENTICATED"]
    await api.ok(REFRESH, {"r": new["refreshToken"]})
    await api.ok(LOGIN, {"e": user["email"], "p": "new-password-456"})


async def test_change_password_guesses_are_limited(api: Api) -> None:
    user = await api.signup("Hal")
    results: list[Any] = []
    for _ in range(8):
        results.append(codes(await api.gql(CHANGE, {"c": "wrong-password", "p": "new-password-456"},
                                           user["token"])))
    assert ["RATE_LIMITED"] in results


async def test_parallel_resets_with_one_token_succeed_once(api: Api) -> None:
    user = await api.signup("Ida")
    await api.ok(REQUEST_RESET, {"e": user["email"]})
    token = token_of((await mails_to(api, user["email"], "AccountPasswordReset"))[0])
    bodies = await asyncio.gather(*(api.gql(RESET, {"t": token, "p": f"new-password-{i}00"}) for i in range(4)))
    assert sum(1 for b in bodies if "errors" not in b) == 1
