"""The web board's paths: the links account mails carry (/verify-email, /reset-password,
/invitations/accept, /boards/<id>) open the client, a missing asset stays a 404, and the
development mail page shows the text messages too (the phone code)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID

from taskboard.app import create_app
from tests.conftest import test_settings

INDEX = "<!doctype html><title>Taskboard</title><div id=app></div>"


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    return tmp_path


def client_for(tmp_path: Path, web_dir: Path, **overrides: object) -> httpx.AsyncClient:
    settings = test_settings("sqlite+aiosqlite:///" + str(tmp_path / "t.db"), web_dir=str(web_dir), **overrides)
    # No lifespan: static files and the mail page need no runtime.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://test")


@pytest.mark.parametrize("path", ["/verify-email?token=abc", "/reset-password?token=x%2By",
                                  "/invitations/accept?id=I&token=t", "/boards/Qm9hcmQ6MQ", "/settings"])
async def test_mail_links_open_the_web_board(tmp_path: Path, web_dir: Path, path: str) -> None:
    async with client_for(tmp_path, web_dir) as client:
        r = await client.get(path)
    assert r.status_code == 200
    assert r.text == INDEX
    assert r.headers["content-type"].startswith("text/html")


async def test_files_and_missing_assets(tmp_path: Path, web_dir: Path) -> None:
    async with client_for(tmp_path, web_dir) as client:
        assert (await client.get("/")).text == INDEX
        assert (await client.get("/assets/app.js")).text == "console.log(1)"
        # A stale asset name must not come back as HTML with a 200 (the browser would run it as script).
        assert (await client.get("/assets/gone.js")).status_code == 404
        assert (await client.get("/favicon.ico")).status_code == 404
        assert (await client.post("/verify-email")).status_code in (404, 405)


async def test_dev_mail_page_shows_text_messages(tmp_path: Path, web_dir: Path) -> None:
    from moto.sns.models import sns_backends

    region = "eu-west-3"
    backend = sns_backends[DEFAULT_ACCOUNT_ID][region]
    backend.sms_messages["m-1"] = ("+821012345678", "Taskboard code: 123456 <b>")
    try:
        async with client_for(tmp_path, web_dir, env="development", aws="local", aws_region=region) as client:
            page = (await client.get("/dev/mail")).text
    finally:
        backend.sms_messages.pop("m-1", None)
    assert "+821012345678" in page
    assert "Taskboard code: 123456 &lt;b&gt;" in page
