"""Access tokens (short-lived HS256 JWTs) and opaque refresh tokens.

Access tokens name their signing key in the JWT header (`kid`, derived from the
key itself, so no key ids to configure).  During a rotation the service holds the
current key, which signs, and the previous one, which only verifies, until every
token it signed has expired (deploy/RUNBOOK.md, "Rotating the JWT signing key").
Refresh tokens are opaque rows, stored hashed: no key signs them."""

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
    issued_at: float = 0.0


class InvalidToken(Exception):
    pass


def key_id(secret: str) -> str:
    """The `kid` of a signing key: 8 hex digits of a hash of it.  Naming the key
    without configuration; 32 bits of a hash say nothing useful about a key of 32+
    random bytes."""
    return hashlib.sha256(b"taskboard-jwt-kid:" + secret.encode()).hexdigest()[:8]


class TokenService:
    def __init__(self, secret: str, *, previous: str | None = None, access_ttl: int = 900,
                 refresh_ttl: int = 30 * 86400, remembered: int = 4096) -> None:
        self._secret = secret
        self._kid = key_id(secret)
        # Fixed for the service's life: a restart is what adds or removes a key, so a
        # remembered token never outlives the key that verified it.
        self._keys: dict[str, str] = {self._kid: secret}
        if previous and previous != secret:
            if key_id(previous) == self._kid:
                raise ValueError("the current and previous JWT keys have the same kid: generate another key")
            self._keys[key_id(previous)] = previous
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        # Tokens already verified, by their exact text: checking the signature and
        # claims again cost ~10% of a cached board read's CPU.  Only the expiry can
        # change a verified token's answer, and it is checked at every use.
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
        self._remembered = remembered
        # Users whose tokens issued up to a moment no longer count (a deleted account),
        # by user id -> that moment.  Checked at every use, remembered or not; kept for
        # one access-token lifetime, after which every such token has expired anyway.
        self._revoked: dict[str, float] = {}

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
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM, headers={"kid": self._kid})

    def verify_access(self, token: str) -> AccessClaims:
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at > time.time():  # as PyJWT: expired at `exp` itself
                return self._unrevoked(known)
            del self._verified[token]  # and let the full check below give the reason
        claims = self._decode(token)
        verified = AccessClaims(user_id=claims["sub"], expires_at=float(claims["exp"]),
                                issued_at=float(claims["iat"]))
        self._verified[token] = verified
        if len(self._verified) > self._remembered:
            self._verified.popitem(last=False)  # the oldest first
        return self._unrevoked(verified)

    def revoke_user(self, user_id: str, at: float | None = None) -> None:
        """Refuse from now on the user's access tokens issued up to `at` (now when
        None).  `iat` has whole seconds, so a token of the same second counts as
        before: only an account that gets no new tokens (a deleted one) is revoked."""
        now = time.time()
        at = now if at is None else at
        self._revoked[user_id] = max(at, self._revoked.get(user_id, at))
        for uid, when in list(self._revoked.items()):
            if when + self.access_ttl + 60 < now:
                del self._revoked[uid]

    def _unrevoked(self, claims: AccessClaims) -> AccessClaims:
        if self._revoked:
            until = self._revoked.get(claims.user_id)
            if until is not None and claims.issued_at <= until:
                raise InvalidToken("the account's sessions were ended")
        return claims

    def _key_of(self, token: str) -> str:
        """The key the token's `kid` names.  An unknown kid is refused outright, not
        tried against every key.  No kid: a token from before kids, checked against
        the current key alone (they expire within an access-token TTL of the upgrade)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if kid is None:
            return self._secret
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown signing key")
        return key

    def _decode(self, token: str) -> dict[str, Any]:
        key = self._key_of(token)
        try:
            claims = jwt.decode(
                token,
                key,
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
