"""Sessions per tab: with `X-Session-Cookie: 1` the refresh token goes into an
HttpOnly, Secure, SameSite=Strict cookie scoped to /auth (never to scripts); a new
tab gets an access token from `POST /auth/session`, and `POST /auth/logout` in one
tab ends the session of all."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import SIGNUP, Api

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken refreshToken expiresIn user { id email name } } }"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
VIEWER = "{ viewer { user { id } } }"
CSRF = {"x-session-cookie": "1"}
COOKIE = "taskboard_refresh"


def set_cookie(response: httpx.Response) -> dict[str, str]:
    """The attributes of the session cookie the response sets ({} when none)."""
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name.strip() != COOKIE:
            continue
        value, *attrs = rest.split(";")
        out = {"value": value.strip()}
        for attr in attrs:
            key, _, v = attr.strip().partition("=")
            out[key.lower()] = v
        return out
    return {}


async def _login(api: Api, **headers: str) -> tuple[httpx.Response, dict[str, Any]]:
    user = await api.signup("Tabs")
    r = await api.client.post("/graphql", json={"query": LOGIN, "variables": {"e": user["email"],
                                                                             "p": "password-123"}},
                              headers=headers)
    return r, user


async def _session(api: Api, cookie: str, **headers: str) -> httpx.Response:
    return await api.client.post("/auth/session", headers={**CSRF, "cookie": f"{COOKIE}={cookie}", **headers})


async def test_login_sets_the_cookie_and_keeps_the_token_from_scripts(api: Api) -> None:
    r, user = await _login(api, **CSRF)
    body = r.json()["data"]["login"]
    assert body["refreshToken"] == "" and body["accessToken"] and body["user"]["id"] == user["id"]
    cookie = set_cookie(r)
    assert cookie["value"] and "httponly" in cookie and "secure" in cookie
    assert cookie["samesite"].lower() == "strict" and cookie["path"] == "/auth"
    assert int(cookie["max-age"]) == 30 * 86400


async def test_without_the_header_nothing_changes(api: Api) -> None:
    r, _ = await _login(api)
    assert r.json()["data"]["login"]["refreshToken"] and set_cookie(r) == {}


async def test_a_new_tab_gets_an_access_token_and_the_cookie_rotates(api: Api) -> None:
    r, user = await _login(api, **CSRF)
    first = set_cookie(r)["value"]
    tab = await _session(api, first)
    assert tab.status_code == 200, tab.text
    data = tab.json()
    assert data["user"]["id"] == user["id"] and data["expiresIn"] == 900 and "refreshToken" not in data
    me = await api.ok(VIEWER, token=data["accessToken"])
    assert me["viewer"]["user"]["id"] == user["id"]
    second = set_cookie(tab)["value"]
    assert second and second != first and "httponly" in set_cookie(tab)
    assert (await _session(api, second)).status_code == 200


async def test_logout_in_one_tab_ends_every_tab(api: Api) -> None:
    r, _ = await _login(api, **CSRF)
    cookie = set_cookie(r)["value"]
    tab = await _session(api, cookie)
    latest = set_cookie(tab)["value"]
    out = await api.client.post("/auth/logout", headers={**CSRF, "cookie": f"{COOKIE}={latest}"})
    assert out.status_code == 200 and out.json() == {"ok": True}
    cleared = set_cookie(out)
    assert cleared["value"] in ("", "\"\"") and cleared["max-age"] == "0" and cleared["path"] == "/auth"
    # another tab still holding the cookie (or an older copy of it): no new session
    for held in (latest, cookie):
        refused = await _session(api, held)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert set_cookie(refused)["max-age"] == "0"


async def test_the_cookie_endpoints_refuse_cross_site_requests(api: Api) -> None:
    r, _ = await _login(api, **CSRF)
    cookie = set_cookie(r)["value"]
    no_header = await api.client.post("/auth/session", headers={"cookie": f"{COOKIE}={cookie}"})
    assert no_header.status_code == 403
    assert no_header.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    foreign = await _session(api, cookie, origin="https://evil.example")
    assert foreign.status_code == 403
    logout = await api.client.post("/auth/logout", headers={"cookie": f"{COOKIE}={cookie}",
                                                            "origin": "https://evil.example", **CSRF})
    assert logout.status_code == 403
    assert (await _session(api, cookie, origin="http://test")).status_code == 200  # its own origin
    assert (await api.client.get("/auth/session", headers=CSRF)).status_code == 405
    nothing = await api.client.post("/auth/session", headers=CSRF)
    assert nothing.status_code == 401


async def test_sign_up_and_refresh_set_it_too(api: Api) -> None:
    email = f"tab-{uuid.uuid4().hex[:8]}@example.com"
    r = await api.client.post("/graphql", headers=CSRF, json={"query": SIGNUP, "variables": {
        "i": {"email": email, "name": "Tab", "password": "password-123"}}})
    assert r.json()["data"]["signUp"]["refreshToken"] == "" and set_cookie(r)["value"]
    plain = await api.signup("Plain")
    r = await api.client.post("/graphql", headers=CSRF, json={"query": REFRESH,
                                                              "variables": {"t": plain["refreshToken"]}})
    assert r.json()["data"]["refreshToken"]["refreshToken"] == "" and set_cookie(r)["value"]


async def test_secure_is_off_only_for_local_development(app: Any) -> None:
    for base, secure in (("http://127.0.0.1:8000", False), ("http://localhost:8000", False),
                         ("https://localhost", True), ("http://board.example.com", True)):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as client:
            r, _ = await _login(Api(client, app), **CSRF)
        assert ("secure" in set_cookie(r)) is secure, base
