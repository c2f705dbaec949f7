from __future__ import annotations

import base64
import json
import time
import uuid
import warnings
from typing import Any

import jwt
import jwt.warnings
import pytest

from tests.api.helpers import CREATE_BOARD, CREATE_TASK, codes, create_task, get_task, new_board
from tests.conftest import SIGNUP, TEST_SECRET, Api

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken user { id email } } }"
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken user { id } } }"
LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) }"
WHOAMI = "{ viewer { user { id } } }"
PASSWORD = "password-123"


def unique_email(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def signup_raw(api: Api, email: str, password: str = PASSWORD, name: str = "N") -> dict[str, Any]:
    return await api.gql(SIGNUP, {"i": {"email": email, "name": name, "password": password}})


# ---------------------------------------------------------------- sign up

async def test_signup_returns_working_tokens_and_lowercased_email(api: Api) -> None:
    email = unique_email("MiXeD").replace("mixed", "MiXeD")
    body = await signup_raw(api, email)
    assert "errors" not in body, body
    out = body["data"]["signUp"]
    assert out["user"]["email"] == email.lower()
    assert out["expiresIn"] > 0
    assert out["refreshToken"] and out["refreshToken"] != out["accessToken"]
    me = await api.ok(WHOAMI, token=out["accessToken"])
    assert me["viewer"]["user"]["id"] == out["user"]["id"]


async def test_signup_email_is_case_insensitively_unique(api: Api) -> None:
    email = unique_email()
    first = await signup_raw(api, email)
    assert "errors" not in first
    for variant in (email, email.upper(), "  " + email.title() + " "):
        body = await signup_raw(api, variant)
        assert codes(body) == ["CONFLICT"], (variant, body)
        assert body["data"] is None
    # and the original password still logs in: the duplicate overwrote nothing
    ok = await api.gql(LOGIN, {"e": email, "p": PASSWORD})
    assert ok["data"]["login"]["user"]["id"] == first["data"]["signUp"]["user"]["id"]


@pytest.mark.parametrize("password", ["", "short", "1234567"])
async def test_signup_short_password_is_bad_input(api: Api, password: str) -> None:
    email = unique_email()
    body = await signup_raw(api, email, password)
    assert codes(body) == ["BAD_USER_INPUT"], body
    # nothing was created: the same email with a good password still signs up
    assert "errors" not in await signup_raw(api, email)


async def test_signup_eight_character_password_is_enough(api: Api) -> None:
    assert "errors" not in await signup_raw(api, unique_email(), "12345678")


@pytest.mark.parametrize("email", ["", "plainaddress", "no-at.example.com", "a@b", "two@@example.com",
                                   "sp ace@example.com", "x" * 250 + "@example.com"])
async def test_signup_invalid_email_is_bad_input(api: Api, email: str) -> None:
    body = await signup_raw(api, email)
    assert codes(body) == ["BAD_USER_INPUT"], body
    assert body["data"] is None


# ---------------------------------------------------------------- login

async def test_login_is_case_insensitive_and_issues_tokens(api: Api) -> None:
    user = await api.signup("Login")
    data = await api.ok(LOGIN, {"e": user["email"].upper(), "p": PASSWORD})
    assert data["login"]["user"]["id"] == user["id"]
    me = await api.ok(WHOAMI, token=data["login"]["accessToken"])
    assert me["viewer"]["user"]["id"] == user["id"]


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    user = await api.signup("Same")
    wrong = await api.gql(LOGIN, {"e": user["email"], "p": "not-the-password"})
    unknown = await api.gql(LOGIN, {"e": unique_email("ghost"), "p": PASSWORD})
    assert codes(wrong) == codes(unknown) == ["UNAUTHENTICATED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert wrong["errors"][0]["extensions"] == unknown["errors"][0]["extensions"]
    assert wrong["data"] is None and unknown["data"] is None


async def test_five_failures_rate_limit_the_email_even_with_the_right_password(api: Api) -> None:
    user = await api.signup("Limited")
    bystander = await api.signup("Bystander")
    for i in range(5):
        body = await api.gql(LOGIN, {"e": user["email"], "p": f"wrong-{i}-password"})
        assert codes(body) == ["UNAUTHENTICATED"], (i, body)
    body = await api.gql(LOGIN, {"e": user["email"], "p": PASSWORD})
    assert codes(body) == ["RATE_LIMITED"], body
    assert body["data"] is None
    body = await api.gql(LOGIN, {"e": user["email"].upper(), "p": PASSWORD})
    assert codes(body) == ["RATE_LIMITED"], body
    # another email from the same address is not affected
    assert (await api.ok(LOGIN, {"e": bystander["email"], "p": PASSWORD}))["login"]["user"]["id"] == bystander["id"]


async def test_four_failures_then_the_right_password_logs_in(api: Api) -> None:
    user = await api.signup("Almost")
    for i in range(4):
        assert codes(await api.gql(LOGIN, {"e": user["email"], "p": f"wrong-{i}-password"})) == ["UNAUTHENTICATED"]
    assert (await api.ok(LOGIN, {"e": user["email"], "p": PASSWORD}))["login"]["user"]["id"] == user["id"]


async def test_unknown_email_is_rate_limited_too(api: Api) -> None:
    ghost = unique_email("ghost")
    for _ in range(5):
        assert codes(await api.gql(LOGIN, {"e": ghost, "p": PASSWORD})) == ["UNAUTHENTICATED"]
    assert codes(await api.gql(LOGIN, {"e": ghost, "p": PASSWORD})) == ["RATE_LIMITED"]


# ---------------------------------------------------------------- refresh and logout

async def test_refresh_rotates_and_a_replay_revokes_the_family(api: Api) -> None:
    user = await api.signup("Rotate")
    r1 = user["refreshToken"]
    out2 = (await api.ok(REFRESH, {"t": r1}))["refreshToken"]
    r2 = out2["refreshToken"]
    assert r2 != r1 and out2["user"]["id"] == user["id"]
    assert (await api.ok(WHOAMI, token=out2["accessToken"]))["viewer"]["user"]["id"] == user["id"]
    r3 = (await api.ok(REFRESH, {"t": r2}))["refreshToken"]["refreshToken"]
    assert len({r1, r2, r3}) == 3
    # r2 is single use
    replay = await api.gql(REFRESH, {"t": r2})
    assert codes(replay) == ["UNAUTHENTICATED"] and replay["data"] is None
    # the replay killed the family: the newest token is dead too
    assert codes(await api.gql(REFRESH, {"t": r3})) == ["UNAUTHENTICATED"]
    assert codes(await api.gql(REFRESH, {"t": r1})) == ["UNAUTHENTICATED"]
    # another session of the same user (another family) is unaffected
    other = (await api.ok(LOGIN, {"e": user["email"], "p": PASSWORD}))["login"]["refreshToken"]
    assert (await api.ok(REFRESH, {"t": other}))["refreshToken"]["user"]["id"] == user["id"]


async def test_refresh_with_garbage_is_unauthenticated(api: Api) -> None:
    for token in ("", "rt_nope", "x" * 300):
        body = await api.gql(REFRESH, {"t": token})
        assert codes(body) == ["UNAUTHENTICATED"], body


async def test_logout_revokes_the_refresh_token(api: Api) -> None:
    user = await api.signup("Logout")
    r2 = (await api.ok(REFRESH, {"t": user["refreshToken"]}))["refreshToken"]["refreshToken"]
    assert (await api.ok(LOGOUT, {"t": r2}))["logout"] is True
    assert codes(await api.gql(REFRESH, {"t": r2})) == ["UNAUTHENTICATED"]


async def test_logout_is_open_to_anonymous_callers(api: Api) -> None:
    body = await api.gql(LOGOUT, {"t": "rt_unknown-token"})
    assert "errors" not in body, body
    assert body["data"]["logout"] is False


# ---------------------------------------------------------------- JWT attacks

def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def claims(user_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": user_id, "iss": "taskboard", "aud": "taskboard-api", "typ": "access",
                            "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    for k, v in overrides.items():
        if v is None:
            base.pop(k, None)
        else:
            base[k] = v
    return base


def forge(user_id: str, key: str = TEST_SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    with warnings.catch_warnings():  # HS512 with the (short for SHA-512) test secret: that is the attack
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(claims(user_id, **overrides), key, algorithm=algorithm)


async def test_a_correctly_forged_token_is_accepted(api: Api) -> None:
    """The attack tests below change one thing each from this token."""
    user = await api.signup("Forge")
    data = await api.ok(WHOAMI, token=forge(user["id"]))
    assert data["viewer"]["user"]["id"] == user["id"]


def attacks(user_id: str, refresh: str) -> dict[str, str]:
    good = forge(user_id)
    head, payload, sig = good.split(".")
    tampered_payload = b64(claims(user_id, sub="usr_" + "0" * 26))
    flipped = sig[:-2] + ("AA" if not sig.endswith("AA") else "BB")
    now = int(time.time())
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(user_id))}.",
        "alg none no dot": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims(user_id))}",
        "alg None": f"{b64({'alg': 'None', 'typ': 'JWT'})}.{b64(claims(user_id))}.",
        "tampered signature": f"{head}.{payload}.{flipped}",
        "tampered payload": f"{head}.{tampered_payload}.{sig}",
        "no signature": f"{head}.{payload}.",
        "expired": forge(user_id, iat=now - 3600, exp=now - 60),
        "wrong key": forge(user_id, key="another-secret-" + "y" * 40),
        "HS512 with the right key": forge(user_id, algorithm="HS512"),
        "wrong iss": forge(user_id, iss="someone-else"),
        "no iss": forge(user_id, iss=None),
        "wrong aud": forge(user_id, aud="another-api"),
        "no aud": forge(user_id, aud=None),
        "no exp": forge(user_id, exp=None),
        "no typ": forge(user_id, typ=None),
        "typ refresh": forge(user_id, typ="refresh"),
        "refresh token as bearer": refresh,
        "garbage": "garbage",
        "three dots of garbage": "a.b.c",
    }


ATTACK_NAMES = list(attacks("usr_x", "rt_x"))


@pytest.mark.parametrize("attack", ATTACK_NAMES)
async def test_jwt_attack_is_unauthenticated(api: Api, attack: str) -> None:
    user = await api.signup("Victim")
    token = attacks(user["id"], user["refreshToken"])[attack]
    r = await api.post(WHOAMI, token=token)
    body = r.json()
    assert codes(body) == ["UNAUTHENTICATED"], (attack, body)
    assert body.get("data") is None, body
    assert r.status_code in (200, 401)


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b c",
                                    "bearer", "Bearer null"])
async def test_garbage_authorization_header_is_unauthenticated(api: Api, header: str) -> None:
    user = await api.signup("Hdr")
    r = await api.client.post("/graphql", json={"query": WHOAMI}, headers={"authorization": header})
    body = r.json()
    assert codes(body) == ["UNAUTHENTICATED"], (header, body)
    assert body.get("data") is None
    assert user["id"] not in r.text


async def test_a_bad_token_does_not_mutate(api: Api) -> None:
    user = await api.signup("NoMut")
    board = await new_board(api, user, "Untouched")
    token = forge(user["id"], key="wrong-" + "z" * 40)
    body = await api.gql(CREATE_BOARD, {"n": "Sneaky"}, token)
    assert codes(body) == ["UNAUTHENTICATED"]
    names = [b["name"] for b in (await api.ok("{ boards { id name } }", token=user["token"]))["boards"]]
    assert names == ["Untouched"], (names, board)


# ---------------------------------------------------------------- anonymous access

async def test_anonymous_gets_unauthenticated_for_everything_but_the_account_operations(api: Api) -> None:
    owner = await api.signup("Owner")
    other = await api.signup("Other")
    board = await new_board(api, owner, "Private")
    task = await create_task(api, owner, board, "Secret", assigneeId=owner["id"])
    operations: list[tuple[str, dict[str, Any]]] = [
        ("{ viewer { user { id } } }", {}),
        ("{ boards { id } }", {}),
        ("query($id: ID!) { board(id: $id) { id name } }", {"id": board}),
        ("query($id: ID!) { task(id: $id) { id title } }", {"id": task["id"]}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": task["id"]}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": owner["id"]}),
        ("{ myTasks { totalCount edges { node { id } } } }", {}),
        (CREATE_BOARD, {"n": "Anon"}),
        ("mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }",
         {"b": board, "e": other["email"]}),
        ("mutation($b: ID!, $u: ID!) { removeBoardMember(boardId: $b, userId: $u) }", {"b": board, "u": owner["id"]}),
        (CREATE_TASK, {"i": {"boardId": board, "title": "Anon task"}}),
        ("mutation($id: ID!) { updateTask(id: $id, input: {title: \"Hacked\"}) { id } }", {"id": task["id"]}),
        ("mutation($id: ID!) { deleteTask(id: $id) }", {"id": task["id"]}),
        ("mutation { updateNotificationSettings(input: {emailOnTaskChange: false}) { emailOnTaskChange } }", {}),
    ]
    for query, variables in operations:
        body = await api.gql(query, variables)
        assert codes(body) == ["UNAUTHENTICATED"], (query, body)
        data = body.get("data")
        assert data is None or all(v is None for v in data.values()), (query, body)
        assert "Secret" not in json.dumps(body)
    # and nothing changed
    after = await get_task(api, owner, task["id"])
    assert after is not None and after["title"] == "Secret" and after["version"] == 1
    boards = (await api.ok("{ boards { id } }", token=owner["token"]))["boards"]
    assert [b["id"] for b in boards] == [board]
    members = (await api.ok("query($id: ID!) { board(id: $id) { members { user { id } } } }", {"id": board},
                            owner["token"]))["board"]["members"]
    assert [m["user"]["id"] for m in members] == [owner["id"]]
    settings = await api.ok("{ viewer { notificationSettings { emailOnTaskChange } } }", token=owner["token"])
    assert settings["viewer"]["notificationSettings"]["emailOnTaskChange"] is True


async def test_account_operations_are_open_to_anonymous_callers(api: Api) -> None:
    email = unique_email("open")
    signed = await signup_raw(api, email)
    assert "errors" not in signed
    logged = await api.ok(LOGIN, {"e": email, "p": PASSWORD})
    refreshed = await api.ok(REFRESH, {"t": logged["login"]["refreshToken"]})
    assert (await api.ok(LOGOUT, {"t": refreshed["refreshToken"]["refreshToken"]}))["logout"] is True


async def test_concurrent_refreshes_of_one_token_rotate_once(api: Api) -> None:
    import asyncio

    user = await api.signup("RaceRefresh")
    a, b = await asyncio.gather(api.gql(REFRESH, {"t": user["refreshToken"]}),
                                api.gql(REFRESH, {"t": user["refreshToken"]}))
    outcomes = sorted([tuple(codes(a)), tuple(codes(b))])
    assert outcomes == [(), ("UNAUTHENTICATED",)], (a, b)
    winner = a if not codes(a) else b
    # the loser was a replay: the family is dead, the winner's new token with it
    assert codes(await api.gql(REFRESH, {"t": winner["data"]["refreshToken"]["refreshToken"]})) == ["UNAUTHENTICATED"]
