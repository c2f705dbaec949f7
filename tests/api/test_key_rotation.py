"""Signing-key rotation (deploy/RUNBOOK.md, "Rotating the JWT signing key"):
access tokens name their key in the JWT header (`kid`); a service configured
with a current and a previous key signs with the current one and accepts both,
and once the previous key is removed its tokens are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from pydantic import ValidationError

from auth.tokens import InvalidToken, TokenService, key_id
from taskboard.app import create_app
from taskboard.settings import Settings
from tests.api.helpers import codes
from tests.conftest import TEST_SECRET, Api, test_settings

WHOAMI = "{ viewer { user { id } } }"
NEW_SECRET = "rotated-secret-" + "n" * 40
STRONG = "s" * 48


@asynccontextmanager
async def service(database_url: str, **overrides: Any) -> AsyncIterator[Api]:
    app = create_app(test_settings(database_url, **overrides))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield Api(client, app)


async def viewer(api: Api, token: str) -> tuple[list[str | None], str | None]:
    body = await api.gql(WHOAMI, token=token)
    user = ((body.get("data") or {}).get("viewer") or {}).get("user") or {}
    return codes(body), user.get("id")


async def test_issued_tokens_name_their_key(api: Api) -> None:
    user = await api.signup("Kid")
    header = jwt.get_unverified_header(user["token"])
    assert header["kid"] == key_id(TEST_SECRET) and len(header["kid"]) == 8
    assert key_id(TEST_SECRET) != key_id(NEW_SECRET)


async def test_a_token_of_the_previous_key_is_accepted_while_it_is_configured(api: Api, database_url: str) -> None:
    user = await api.signup("Rotation")  # signed by the service's key, TEST_SECRET: the old key now
    old_token = user["token"]
    async with service(database_url, jwt_secret=NEW_SECRET, jwt_previous_secret=TEST_SECRET) as rotating:
        assert await viewer(rotating, old_token) == ([], user["id"])
        refreshed = await rotating.ok(
            "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }", {"t": user["refreshToken"]})
        new_token = refreshed["refreshToken"]["accessToken"]
        assert jwt.get_unverified_header(new_token)["kid"] == key_id(NEW_SECRET)  # signed with the current key
        assert await viewer(rotating, new_token) == ([], user["id"])
    async with service(database_url, jwt_secret=NEW_SECRET) as rotated:  # the previous key removed
        assert await viewer(rotated, old_token) == (["UNAUTHENTICATED"], None)
        assert await viewer(rotated, new_token) == ([], user["id"])


async def test_a_token_whose_kid_is_unknown_is_unauthenticated(api: Api) -> None:
    user = await api.signup("Unknownkid")
    claims = jwt.decode(user["token"], TEST_SECRET, algorithms=["HS256"], audience="taskboard-api")
    # The right key, but a kid naming no configured key: refused, not tried against each key.
    for kid in ("deadbeef", key_id(NEW_SECRET), "", "../../etc/passwd"):
        forged = jwt.encode(claims, TEST_SECRET, algorithm="HS256", headers={"kid": kid})
        assert await viewer(api, forged) == (["UNAUTHENTICATED"], None), kid
    # And a kid that is not a string at all (PyJWT will not write one: signed by hand).
    head, payload, _ = user["token"].split(".")
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": 7}).encode())
    signature = b64url(hmac.new(TEST_SECRET.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest())
    assert await viewer(api, f"{head}.{payload}.{signature}") == (["UNAUTHENTICATED"], None)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_the_previous_key_signs_nothing_and_a_token_of_another_key_is_refused() -> None:
    old = TokenService(TEST_SECRET)
    rotating = TokenService(NEW_SECRET, previous=TEST_SECRET)
    assert jwt.get_unverified_header(rotating.issue_access("usr_1"))["kid"] == key_id(NEW_SECRET)
    assert rotating.verify_access(old.issue_access("usr_1")).user_id == "usr_1"
    stranger = TokenService("stranger-" + "q" * 40)
    with pytest.raises(InvalidToken):
        rotating.verify_access(stranger.issue_access("usr_1"))


def test_a_remembered_token_of_the_previous_key_is_not_accepted_by_a_service_without_it() -> None:
    """The verified-token memory is per service, whose keys are fixed: a token remembered
    while the previous key was configured is checked again after the restart removing it."""
    token = TokenService(TEST_SECRET).issue_access("usr_1")
    rotating = TokenService(NEW_SECRET, previous=TEST_SECRET)
    rotating.verify_access(token)
    assert token in rotating._verified
    with pytest.raises(InvalidToken):
        TokenService(NEW_SECRET).verify_access(token)


def test_a_token_without_kid_is_checked_against_the_current_key_only() -> None:
    """Tokens from before `kid` existed live at most an access-token TTL: the current key
    alone may accept them, never the previous one."""
    now = int(time.time())
    claims = {"sub": "usr_1", "iss": "taskboard", "aud": "taskboard-api", "typ": "access", "iat": now,
              "exp": now + 600, "jti": uuid.uuid4().hex}
    current, previous = jwt.encode(claims, NEW_SECRET), jwt.encode(claims, TEST_SECRET)
    rotating = TokenService(NEW_SECRET, previous=TEST_SECRET)
    assert rotating.verify_access(current).user_id == "usr_1"
    with pytest.raises(InvalidToken):
        rotating.verify_access(previous)


@pytest.mark.parametrize("previous", ["changeme", "short", "x" * 31, "Password"])
def test_production_refuses_a_weak_previous_secret(previous: str) -> None:
    with pytest.raises(ValidationError, match="TASKBOARD_JWT_PREVIOUS_SECRET"):
        Settings(env="production", jwt_secret=STRONG, jwt_previous_secret=previous, aws="off")


@pytest.mark.parametrize("unset", ["", "none", "NONE", "  "])
def test_none_or_empty_means_no_previous_key(unset: str) -> None:
    """Secrets Manager cannot hold an empty value: the secret of the previous key holds
    `none` when there is none, and that must start a production service."""
    settings = Settings(env="production", jwt_secret=STRONG, jwt_previous_secret=unset, aws="off")
    assert settings.previous_secret is None
    assert TokenService(settings.secret, previous=settings.previous_secret).verify_access(
        TokenService(STRONG).issue_access("usr_1")).user_id == "usr_1"


def test_production_accepts_a_strong_previous_secret() -> None:
    settings = Settings(env="production", jwt_secret=STRONG, jwt_previous_secret="p" * 40, aws="off")
    assert settings.previous_secret == "p" * 40
