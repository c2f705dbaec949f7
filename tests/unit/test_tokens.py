"""TokenService remembers the access tokens it verified (auth/tokens.py): a
remembered token still expires on time, and only the exact text it verified is
remembered.  The refusals of forged tokens through the API: tests/api/test_auth.py."""

from __future__ import annotations

import time

import jwt
import pytest

from auth import tokens as tokens_module
from auth.tokens import InvalidToken, TokenService

SECRET = "unit-secret-" + "y" * 40


def test_a_verified_token_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    service = TokenService(SECRET)
    token = service.issue_access("usr_1")
    first = service.verify_access(token)
    calls: list[str] = []
    monkeypatch.setattr(tokens_module.jwt, "decode", lambda *a, **k: calls.append("decode") or {})
    assert service.verify_access(token) == first and calls == []


def test_a_remembered_token_expires_at_its_exp() -> None:
    service = TokenService(SECRET, access_ttl=1)
    token = service.issue_access("usr_1")
    claims = service.verify_access(token)
    assert claims.user_id == "usr_1" and service.verify_access(token) == claims  # remembered
    time.sleep(max(0.0, claims.expires_at - time.time()) + 0.05)
    with pytest.raises(InvalidToken, match="expired"):
        service.verify_access(token)
    assert token not in service._verified


def test_a_token_that_expired_is_refused_by_the_full_check_too() -> None:
    service = TokenService(SECRET, access_ttl=60)
    token = service.issue_access("usr_1", now=time.time() - 120)
    with pytest.raises(InvalidToken, match="expired"):
        service.verify_access(token)


def test_only_the_exact_token_text_is_remembered() -> None:
    service = TokenService(SECRET)
    token = service.issue_access("usr_1")
    service.verify_access(token)
    header, _payload, signature = token.split(".")
    forged_payload = jwt.encode({"sub": "usr_2"}, "k" * 32, algorithm="HS256").split(".")[1]
    for bad in (f"{header}.{forged_payload}.{signature}", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
                token + "."):
        with pytest.raises(InvalidToken):
            service.verify_access(bad)
    other = TokenService("another-secret-" + "z" * 40)
    with pytest.raises(InvalidToken):
        other.verify_access(token)  # remembered per service (per secret)


def test_the_memory_is_bounded_oldest_first() -> None:
    service = TokenService(SECRET, remembered=3)
    issued = [service.issue_access(f"usr_{i}") for i in range(5)]
    for token in issued:
        service.verify_access(token)
    assert list(service._verified) == issued[2:]
