"""deleteAccount: personal data gone, tasks keep a "Deleted user", the log keeps its history."""

from __future__ import annotations

from sqlalchemy import func, select

from models.tables import AccountToken, Board, RefreshToken
from tests.api.accounts_kit import LOGIN, REFRESH, VIEWER
from tests.api.helpers import GET_TASK, activity, add_member, codes, create_task, new_board, runtime_of
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
