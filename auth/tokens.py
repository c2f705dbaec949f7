"""Access tokens (short-lived HS256 JWTs) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import jwt

ISSUER = "taskboard"
AUDIENCE = "taskboard-api"
ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    expires_at: float


class InvalidToken(Exception):
    pass


class TokenService:
    def __init__(self, secret: str, *, access_ttl: int = 900, refresh_ttl: int = 30 * 86400) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def issue_access(self, user_id: str, *, now: float | None = None) -> str:
        now = time.time() if now is None else now
        claims = {
            "sub": user_id,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "typ": "access",
            "iat": int(now),
            "exp": int(now) + self.access_ttl,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify_access(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # pinned: never "none", never RS/HS confusion
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "aud", "typ"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("typ") != "access" or not isinstance(claims.get("sub"), str):
            raise InvalidToken("not an access token")
        return AccessClaims(user_id=claims["sub"], expires_at=float(claims["exp"]))

    @staticmethod
    def new_refresh() -> tuple[str, str]:
        """A new opaque refresh token and the hash that is stored."""
        token = "rt_" + secrets.token_urlsafe(32)
        return token, hash_refresh(token)


def hash_refresh(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
