"""The development mail page (/dev/mail, with the embedded AWS emulator): the mail
and the text messages this server sent."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response


async def dev_mail(_: Request, *, region: str) -> Response:
    from notify.emulator import sent_mails, sent_sms

    mails = sent_mails(region)
    # The texts too: a developer (and the browser tests) read the phone code here.
    texts = "".join(
        f"<li><b>To:</b> {html.escape(str(m['to']))} &middot; <q>{html.escape(str(m['message']))}</q></li>"
        for m in reversed(sent_sms(region))
    )
    rows = "".join(
        f"<article><h2>{html.escape(m.get('subject') or '')}</h2>"
        f"<p><b>To:</b> {html.escape(', '.join(m.get('to') or []))}"
        f" &middot; <time>{html.escape(str(m.get('at') or ''))}</time></p>"
        f"<pre>{html.escape(m.get('text') or m.get('body') or '')}</pre></article>"
        for m in reversed(mails)
    )
    page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Sent mail</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<style>body{{font-family:system-ui;max-width:50rem;margin:2rem auto;padding:0 1rem}}"
            f"article{{border-bottom:1px solid #ddd}}pre{{white-space:pre-wrap}}</style></head>"
            f"<body><h1>Mail sent by this development server ({len(mails)})</h1>"
            f"{rows or '<p>No mail yet.</p>'}"
            f"<h1>Text messages</h1>{f'<ul>{texts}</ul>' if texts else '<p>No text messages yet.</p>'}"
            f"</body></html>")
    return HTMLResponse(page)
