"""A password change or reset ends the user's live sockets (4403); others' stay."""

from __future__ import annotations

import asyncio

from tests.api.accounts_kit import CHANGE, LOGIN, REQUEST_RESET, RESET, mails_to, token_of
from tests.api.helpers import create_task, new_board
from tests.conftest import test_settings
from tests.live.conftest import LiveServer, closed_with, events, serve, subscribe


async def test_change_password_closes_the_users_sockets_4403(live: LiveServer) -> None:
    api = live.api
    user, other = await api.signup("Ann"), await api.signup("Bob")
    ws = await live.socket(user["token"])
    bystander = await live.socket(other["token"])
    board = await new_board(api, other)
    await subscribe(bystander, "1", board)
    await api.ok(CHANGE, {"c": "password-123", "p": "new-password-456"}, user["token"])
    assert await closed_with(ws) == 4403
    await create_task(api, other, board, "Still live")
    (event,) = await events(bystander, 1)
    assert event["kind"] == "TASK_CREATED"


async def test_reset_password_closes_the_users_sockets_4403(live: LiveServer, database_url: str) -> None:
    api = live.api
    user = await api.signup("Cy")
    ws = await live.socket(user["token"])
    await api.ok(REQUEST_RESET, {"e": user["email"]})
    token = token_of((await mails_to(api, user["email"], "AccountPasswordReset", database_url=database_url))[0])
    data = await api.ok(RESET, {"t": token, "p": "new-password-456"})
    assert await closed_with(ws) == 4403
    # The new session's socket works.
    new_token = data["resetPassword"]["accessToken"]
    fresh = await live.socket(new_token)
    board = await new_board(api, {"token": new_token})
    await subscribe(fresh, "1", board)
    await create_task(api, {"token": new_token}, board, "After reset")
    (event,) = await events(fresh, 1)
    assert event["kind"] == "TASK_CREATED"


async def test_a_socket_on_another_instance_closes_too(database_url: str) -> None:
    settings = test_settings(database_url, session_revocation_poll=0.2)
    async with serve(settings) as first, serve(settings) as second:
        user = await first.api.signup("Dee")
        elsewhere = await second.socket(user["token"])
        await first.api.ok(CHANGE, {"c": "password-123", "p": "new-password-456"}, user["token"])
        assert await closed_with(elsewhere, timeout=5) == 4403
        # A socket opened after the change, with the new session, stays.
        token = (await first.api.ok(LOGIN, {"e": user["email"], "p": "new-password-456"}))["login"]["accessToken"]
        fresh = await second.socket(token)
        await asyncio.sleep(0.6)
        assert fresh.close_code is None
