"""Sessions across tabs (an extension of the contract; the GraphQL operations are
unchanged).  A client that sends `X-Session-Cookie: 1` with signUp, login,
refreshToken, resetPassword or changePassword gets the refresh token in an
HttpOnly, SameSite=Strict cookie scoped to /auth (Secure except on a local
development host) and an empty `refreshToken` in the body: no script ever reads
it.  A tab then gets its access token from `POST /auth/session`, which rotates
the cookie; `POST /auth/logout` revokes the token's whole family and clears the
cookie, so every tab's next refresh fails.

Cross-site requests are refused twice over: the cookie is SameSite=Strict, and
both endpoints require the `X-Session-Cookie` header (which a cross-site form
cannot send, and a cross-site script cannot without a CORS preflight we do not
grant) and an `Origin`, when present, of this server or TASKBOARD_CORS_ORIGINS.

Rotation is single-use, as for refreshToken: two tabs presenting the same cookie
at once look like a replay and end the session, so a client serialises its
refreshes across tabs (the Web Locks API)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from models.errors import ApiError, ErrorCode
from resolvers import accounts
from resolvers.context import Ctx, Services
from taskboard.clientaddr import Network, connection_address

COOKIE = "taskboard_refresh"
PATH = "/auth"
HEADER = "x-session-cookie"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def wants_cookie(request: Request) -> bool:
    return request.headers.get(HEADER) == "1"


def _secure(request: Request) -> bool:
    """Off only for plain http on a development host (browsers drop a Secure cookie there)."""
    return not (request.url.scheme == "http" and (request.url.hostname or "") in _LOCAL_HOSTS)


def set_session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(COOKIE, token, max_age=max_age, path=PATH, secure=_secure(request), httponly=True,
                        samesite="strict")


def clear_session_cookie(response: Response, request: Request) -> None:
    response.set_cookie(COOKIE, "", max_age=0, path=PATH, secure=_secure(request), httponly=True, samesite="strict")


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json",
                    headers={"cache-control": "no-store"})


def _error(status: int, code: ErrorCode, message: str) -> Response:
    return _json(status, {"errors": [{"message": message, "extensions": {"code": code.value}}]})


class SessionEndpoints:
    def __init__(self, services: Services, *, cors_origins: Sequence[str] = (),
                 trusted_proxies: Sequence[Network] = ()) -> None:
        self.services = services
        self.origins = frozenset(o.rstrip("/") for o in cors_origins)
        self.trusted_proxies = trusted_proxies

    def _refused(self, request: Request) -> Response | None:
        if request.method != "POST":
            return Response(status_code=405, headers={"allow": "POST"})
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.url.netloc}"
        if not wants_cookie(request) or (origin is not None and origin.rstrip("/") not in self.origins | {own}):
            return _error(403, ErrorCode.FORBIDDEN, "This request must come from the web board itself.")
        return None

    def _ctx(self, request: Request) -> Ctx:
        ctx = Ctx(self.services, client_ip=connection_address(request, self.trusted_proxies))
        ctx.session_cookie = True
        return ctx

    async def session(self, request: Request) -> Response:
        """A new access token for this tab, and the cookie rotated."""
        if (refused := self._refused(request)) is not None:
            return refused
        token = request.cookies.get(COOKIE)
        ctx = self._ctx(request)
        try:
            if not token:
                raise ApiError(ErrorCode.UNAUTHENTICATED, "Invalid refresh token")
            result = await accounts.refresh(ctx, refresh_token=token)
        except ApiError as exc:
            if exc.code != ErrorCode.UNAUTHENTICATED:
                raise
            response = _error(401, ErrorCode.UNAUTHENTICATED, "Your session ended. Log in again.")
            clear_session_cookie(response, request)
            return response
        u = result.user
        response = _json(200, {"accessToken": result.access_token, "expiresIn": result.expires_in,
                               "user": {"id": u.id, "email": u.email, "name": u.name}})
        if ctx.issued_refresh:
            set_session_cookie(response, request, ctx.issued_refresh, self.services.tokens.refresh_ttl)
        return response

    async def logout(self, request: Request) -> Response:
        """Ends the session of every tab: the token's family is revoked."""
        if (refused := self._refused(request)) is not None:
            return refused
        token = request.cookies.get(COOKIE)
        if token:
            await accounts.logout(self._ctx(request), refresh_token=token)
        response = _json(200, {"ok": True})
        clear_session_cookie(response, request)
        return response
