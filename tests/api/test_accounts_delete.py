"""deleteAccount: personal data gone, tasks keep a "Deleted user", the log keeps its history."""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import func, select

from auth.tokens import InvalidToken, TokenService
from models.tables import AccountToken, Board, RefreshToken
from resolvers.sessions import SessionRegistry
from tests.api.accounts_kit import LOGIN, REFRESH, VIEWER
from tests.api.helpers import CREATE_BOARD, GET_TASK, activity, add_member, codes, create_task, new_board, runtime_of
from tests.conftest import Api

DELETE = "mutation($p: String!) { deleteAccount(password: $p) }"
CHANGE_ROLE = """mutation($b: ID!, $u: ID!, $r: BoardRole!) {
  changeMemberRole(boardId: $b, userId: $u, role: $r) { role } }"""
MEMBERS = "query($id: ID!) { board(id: $id) { members { user { id } } } }"


async def count(api: Api, table: object, **where: str) -> int:
    t = table.__table__  # type: ignore[attr-defined]
    q = select(func.count()).select_from(t)
    for k, v in where.items():
        q = q.where(t.c[k] == v)
    async with runtime_of(api.app).engine.connect() as conn:
        return int((await conn.execute(q)).scalar_one())


async def test_deleting_leaves_a_deleted_user_in_tasks_and_the_log_keeps_history(api: Api) -> None:
    owner, leaver = await api.signup("Owner"), await api.signup("Leaver")
    board = await new_board(api, owner, "Shared")
    own_board = await new_board(api, leaver, "Private")
    await add_member(api, owner, board, leaver)
    task = await create_task(api, leaver, board, "Written by the leaver")
    assert codes(await api.gql(DELETE, {"p": "wrong-password"}, leaver["token"])) == ["BAD_USER_INPUT"]
    assert (await api.ok(DELETE, {"p": "password-123"}, leaver["token"]))["deleteAccount"] is True

    data = await api.ok(GET_TASK, {"id": task["id"]}, owner["token"])
    supervisor = data["task"]["supervisor"]
    assert supervisor["id"] == leaver["id"] and supervisor["email"] != leaver["email"]
    assert supervisor["email"].endswith("@deleted.invalid")
    members = (await api.ok(MEMBERS, {"id": board}, owner["token"]))["board"]["members"]
    assert [m["user"]["id"] for m in members] == [owner["id"]]
    entries = await activity(api, owner, board)
    assert entries[0]["kind"] == "MEMBER_REMOVED"
    assert any(e["kind"] == "TASK_CREATED" and e["actorEmail"] == leaver["email"] for e in entries)

    assert codes(await api.gql(LOGIN, {"e": leaver["email"], "p": "password-123"})) == ["UNAUTHENTICATED"]
    assert codes(await api.gql(REFRESH, {"r": leaver["refreshToken"]})) == ["UNAUTHENTICATED"]
    assert await count(api, RefreshToken, user_id=leaver["id"]) == 0
    assert await count(api, AccountToken, user_id=leaver["id"]) == 0
    assert await count(api, Board, id=own_board) == 0
    # The address is free again.
    await api.ok("mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }",
                 {"i": {"email": leaver["email"], "name": "Again", "password": "password-123"}})


async def test_the_last_owner_of_a_shared_board_cannot_delete(api: Api) -> None:
    owner, member = await api.signup("Owner"), await api.signup("Member")
    board = await new_board(api, owner)
    await add_member(api, owner, board, member)
    assert codes(await api.gql(DELETE, {"p": "password-123"}, owner["token"])) == ["CONFLICT"]
    assert (await api.ok(VIEWER, token=owner["token"]))["viewer"]["user"]["email"] == owner["email"]
    await api.ok(CHANGE_ROLE, {"b": board, "u": member["id"], "r": "OWNER"}, owner["token"])
    assert (await api.ok(DELETE, {"p": "password-123"}, owner["token"]))["deleteAccount"] is True


async def test_delete_needs_a_signed_in_caller(api: Api) -> None:
    assert codes(await api.gql(DELETE, {"p": "password-123"})) == ["UNAUTHENTICATED"]


async def test_a_deleted_accounts_access_token_stops_working_at_once(api: Api) -> None:
    leaver = await api.signup("Leaver")
    await new_board(api, leaver, "Mine")
    # Used once before: the token is remembered as verified, which must not keep it alive.
    assert (await api.ok(VIEWER, token=leaver["token"]))["viewer"]["user"]["email"] == leaver["email"]
    assert (await api.ok(DELETE, {"p": "password-123"}, leaver["token"]))["deleteAccount"] is True
    for query, variables in ((VIEWER, None), (CREATE_BOARD, {"n": "After"})):
        r = await api.post(query, variables, token=leaver["token"])
        assert r.status_code == 401
        assert codes(r.json()) == ["UNAUTHENTICATED"]


async def test_another_instance_refuses_the_deleted_accounts_token_after_one_poll(api: Api) -> None:
    """An instance started after the deletion (or one that did not serve it) learns it
    from the users table within one revocation poll."""
    rt = runtime_of(api.app)
    other = TokenService(rt.settings.secret, previous=rt.settings.previous_secret)
    leaver = await api.signup("Leaver")
    assert other.verify_access(leaver["token"]).user_id == leaver["id"]
    assert (await api.ok(DELETE, {"p": "password-123"}, leaver["token"]))["deleteAccount"] is True
    watcher = asyncio.create_task(SessionRegistry().watch(rt.services.reader, 0.05, other))
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            with contextlib.suppress(InvalidToken):
                other.verify_access(leaver["token"])
                continue
            break
        else:
            raise AssertionError("the other instance still accepts the deleted account's token")
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
