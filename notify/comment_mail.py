"""The mail of a new comment (`CommentAdded`): to the task's supervisor and assignee
and to everyone it mentions, as resolved when the comment committed (the event's
`recipients`).  It goes through the task mail's claim-send-confirm path in
`notify.mailer.handle_event`; only the rendering is its own.  Standard library
only: it ships in the mailer Lambda."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from notify.mail_words import actor_name, name_of, turn_off
from notify.task_mail import REASON_LABELS, RenderedMail, _clean, _status, _task, links_html, mail_links

# A long comment is cut in the mail (the board shows all of it).
BODY_IN_MAIL = 2_000


def _comment(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    comment = detail.get("comment")
    return comment if isinstance(comment, Mapping) else {}


def _author(detail: Mapping[str, Any]) -> str:
    return _clean(name_of(_comment(detail).get("author"), actor_name(detail)), 100)


def comment_headline(detail: Mapping[str, Any], reason: str | None = None) -> str:
    title = f'"{_clean(_task(detail).get("title") or "a task", 120)}"'
    if reason == "mention":
        return f"{_author(detail)} mentioned you on {title}"
    return f"{_author(detail)} commented on {title}"


def comment_subject(detail: Mapping[str, Any], reason: str | None = None) -> str:
    board = _clean(detail.get("boardName") or "Taskboard", 80)
    return _clean(f"[{board}] {comment_headline(detail, reason)}", 250)


def render_comment_mail(detail: Mapping[str, Any], recipient: Mapping[str, Any]) -> RenderedMail:
    reason = str(recipient.get("reason") or "")
    name = _clean(recipient.get("name") or recipient.get("email") or "", 100)
    headline = comment_headline(detail, reason)
    body = str(_comment(detail).get("body") or "")
    if len(body) > BODY_IN_MAIL:
        body = body[: BODY_IN_MAIL - 1] + "…"
    task = _task(detail)
    facts = [("Task", _clean(task.get("title") or "—", 200)), ("Board", _clean(detail.get("boardName") or "—", 200)),
             ("Status", _status(task.get("status")))]
    if reason == "mention":
        footer = "You get this email because you were mentioned. " + turn_off("emailOnMention")
    else:
        footer = (f"You get this email as the task's {REASON_LABELS.get(reason, reason or 'member')}. "
                  + turn_off("emailOnTaskChange"))
    links = mail_links(detail)

    lines = [f"Hi {name},", "", f"{headline}:", ""]
    lines += [f"> {line}" if line else ">" for line in body.splitlines()]
    lines += [""] + [f"{k + ':':<7} {v}" for k, v in facts]
    lines += [""] + [f"{words}: {url}" for words, url in links] if links else []
    lines += ["", "-- ", footer, ""]

    e = html.escape
    rows = "".join(f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(k)}</th><td>{e(v)}</td></tr>'
                   for k, v in facts)
    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p><p><strong>{e(headline)}</strong>:</p>"
        # Plain text, shown as text: escaped, line breaks kept.
        f'<blockquote style="white-space:pre-wrap;border-left:3px solid #ccc;margin:0;padding-left:12px">'
        f"{e(body)}</blockquote><table>{rows}</table>{links_html(links)}"
        f'<hr><p style="color:#666;font-size:small">{e(footer)}</p></body></html>'
    )
    return RenderedMail(str(recipient.get("email")), name, comment_subject(detail, reason), "\n".join(lines),
                        body_html)
