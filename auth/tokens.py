"""Access tokens (short-lived HS256 JWTs) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

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
    def __init__(self, secret: str, *, access_ttl: int = 900, refresh_ttl: int = 30 * 86400,
                 remembered: int = 4096) -> None:
        self._secret = secret
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        # Tokens already verified, by their exact text: checking the signature and
        # claims again cost ~10% of a cached board read's CPU.  Only the expiry can
        # change a verified token's answer, and it is checked at every use.
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
        self._remembered = remembered

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
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at > time.time():  # as PyJWT: expired at `exp` itself
                return known
            del self._verified[token]  # and let the full check below give the reason
        claims = self._decode(token)
        verified = AccessClaims(user_id=claims["sub"], expires_at=float(claims["exp"]))
        self._verified[token] = verified
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)  # the oldest first
        return verified

    def _decode(self, token: str) -> dict[str, Any]:
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
        return claims

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
