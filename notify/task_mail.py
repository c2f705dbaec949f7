"""The task mails, easy to find and to change: what a task change (TaskCreated,
TaskUpdated, TaskStatusChanged, TaskAssigned, TaskDeleted) says to each recipient
by mail and by SMS, and the daily deadline reminder.  Rendering only: the handler
(`notify.mailer`) decides who gets what and sends it through the ledger.  The
comment mail is `notify.comment_mail`, the account mails `notify.account_mail`.

Standard library only: it ships in the mailer Lambda."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from models.events import COMMENT_MAIL_DETAIL_TYPES
from notify.mail_words import actor_name, day, name_of, person_by_id, task_url, turn_off

STATUS_LABELS = {"TODO": "To do", "IN_PROGRESS": "In progress", "IN_REVIEW": "In review", "DONE": "Done"}
REASON_LABELS = {"supervisor": "supervisor", "assignee": "assignee", "previousAssignee": "previous assignee"}
FIELD_LABELS = {
    "title": "title",
    "description": "description",
    "status": "status",
    "deadline": "deadline",
    "assignee": "assignee",
    "supervisor": "supervisor",
}
SMS_MAX = 160
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class RenderedMail:
    to_email: str
    to_name: str
    subject: str
    text: str
    html: str


def _clean(value: Any, limit: int = 200) -> str:
    """One line of user text, safe for a header or an SMS."""
    text = _CONTROL.sub(" ", str(value if value is not None else "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _status(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value)) if value else "—"


def _who(value: Any) -> str:
    """A person by name: an address is not a name (and the recipient has theirs)."""
    return _clean(name_of(value, "—"), 100)


def _change_value(detail: Mapping[str, Any], field: str, value: Any) -> str:
    if field == "status":
        return _status(value)
    if field == "deadline":
        return day(value) if value else "none"
    if field in ("assignee", "supervisor"):
        return _clean(person_by_id(detail, value), 100)
    if isinstance(value, Mapping):
        return _who(value)
    if value in (None, ""):
        return "—"
    text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _task(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    task = detail.get("task")
    return task if isinstance(task, Mapping) else {}


def what_happened(detail: Mapping[str, Any], reason: str | None = None) -> str:
    """`"CI/CD Test" moved to Done`: the task and what happened to it, for a
    recipient with the given reason."""
    task = _task(detail)
    title = f'"{_clean(task.get("title") or "a task", 120)}"'
    raw_changes = detail.get("changes")
    changes: Mapping[str, Any] = raw_changes if isinstance(raw_changes, Mapping) else {}
    assignee = task.get("assignee") if isinstance(task.get("assignee"), Mapping) else None
    kind = detail.get("detailType") or ""
    if kind == "TaskCreated":
        return f"New task {title} assigned to you" if reason == "assignee" else f"New task {title}"
    if kind == "TaskStatusChanged":
        status_change = changes.get("status")
        status = status_change.get("to") if isinstance(status_change, Mapping) else None
        return f"{title} moved to {_status(status or task.get('status'))}"
    if kind == "TaskAssigned":
        if reason == "assignee":
            return f"{title} assigned to you"
        target = _clean(name_of(assignee, "someone")) if assignee else "nobody"
        return f"{title} reassigned to {target}" if reason == "previousAssignee" else f"{title} assigned to {target}"
    if kind == "TaskDeleted":
        return f"{title} deleted"
    if kind in COMMENT_MAIL_DETAIL_TYPES:
        return f"New comment on {title}"
    if kind == "TaskUpdated":
        fields = [FIELD_LABELS.get(k, k) for k in changes] if changes else []
        return f"{title} updated ({', '.join(fields)})" if fields else f"{title} updated"
    return f"{title} changed"


def subject_for(detail: Mapping[str, Any], reason: str | None = None) -> str:
    board = _clean(detail.get("boardName") or "Taskboard", 80)
    return _clean(f"[{board}] {what_happened(detail, reason)}", 250)


def _facts(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    task = _task(detail)
    facts = [
        ("Task", _clean(task.get("title") or "—", 200)),
        ("Board", _clean(detail.get("boardName") or "—", 200)),
        ("Status", _status(task.get("status"))),
        ("Deadline", day(task.get("deadline")) if task.get("deadline") else "None"),
        ("Assignee", _who(task.get("assignee")) if task.get("assignee") else "Unassigned"),
        ("Supervisor", _who(task.get("supervisor"))),
        ("Changed by", _clean(actor_name(detail), 100)),
    ]
    return facts


def _changes(detail: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    changes = detail.get("changes")
    if not isinstance(changes, Mapping):
        return []
    out: list[tuple[str, str, str]] = []
    for field, change in changes.items():
        if isinstance(change, Mapping):
            out.append(
                (
                    FIELD_LABELS.get(field, str(field)),
                    _change_value(detail, field, change.get("from")),
                    _change_value(detail, field, change.get("to")),
                )
            )
    return out


def render_task_mail(detail: Mapping[str, Any], recipient: Mapping[str, Any]) -> RenderedMail:
    reason = str(recipient.get("reason") or "")
    name = _clean(recipient.get("name") or recipient.get("email") or "", 100)
    subject = subject_for(detail, reason)
    headline = what_happened(detail, reason)
    actor = _clean(actor_name(detail), 100)
    facts = _facts(detail)
    changes = _changes(detail)
    # The seed's log line ("Supervisor <address> Done Task ... at <instant>") stays in
    # the activity log: a mail says the same in words.
    footer = f"You get this email as the task's {REASON_LABELS.get(reason, reason or 'member')}. " + turn_off(
        "emailOnTaskChange")
    links = mail_links(detail)

    lines = [f"Hi {name},", "", f"{headline} (by {actor}).", ""]
    width = max(len(k) for k, _ in facts)
    lines += [f"{k + ':':<{width + 1}} {v}" for k, v in facts]
    if changes:
        lines += ["", "What changed:"] + [f"  - {f}: {a} → {b}" for f, a, b in changes]
    if links:
        lines += [""] + [f"{words}: {url}" for words, url in links]
    lines += ["", "-- ", footer, ""]
    text = "\n".join(lines)

    e = html.escape
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in facts
    )
    change_html = (
        "<h3>What changed</h3><ul>"
        + "".join(f"<li><b>{e(f)}</b>: {e(a)} &rarr; {e(b)}</li>" for f, a, b in changes)
        + "</ul>"
        if changes
        else ""
    )
    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p>"
        f"<p><strong>{e(headline)}</strong> (by {e(actor)}).</p>"
        f"<table>{rows}</table>"
        f"{change_html}{links_html(links)}"
        f'<hr><p style="color:#666;font-size:small">{e(footer)}</p>'
        "</body></html>"
    )
    return RenderedMail(str(recipient.get("email")), name, subject, text, body_html)


def mail_links(detail: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The task (unless it is gone) and its board, as the event's commit saw them."""
    out = []
    if detail.get("taskUrl") and detail.get("detailType") != "TaskDeleted":
        out.append(("Open the task", str(detail["taskUrl"])))
    if detail.get("boardUrl"):
        out.append(("Open the board", str(detail["boardUrl"])))
    return out


def links_html(links: Sequence[tuple[str, str]]) -> str:
    e = html.escape
    return "".join(f'<p><a href="{e(url, quote=True)}">{e(words)}</a></p>' for words, url in links)


def sms_text(detail: Mapping[str, Any], recipient: Mapping[str, Any] | None = None) -> str:
    reason = str((recipient or {}).get("reason") or "")
    text = _clean(f"{subject_for(detail, reason)} by {actor_name(detail)}", 1000)
    return text if len(text) <= SMS_MAX else text[: SMS_MAX - 1] + "…"


def _relative_due(deadline: date, today: date) -> str:
    days = (deadline - today).days
    if days < 0:
        return f"overdue since {day(deadline)}"
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    return f"due {day(deadline)}"


def deadline_reminder_mail(
    *, to_email: str, to_name: str, tasks: Sequence[Mapping[str, Any]], today: date, public_url: str | None = None
) -> RenderedMail:
    """One reminder listing the recipient's tasks that are due soon or overdue, each
    with a link to it when the web board's address is known.
    Each task: {"id", "boardId", "title", "boardName", "deadline": date | "YYYY-MM-DD", "status"}."""
    items = []
    for task in tasks:
        deadline = task["deadline"]
        if isinstance(deadline, str):
            deadline = date.fromisoformat(deadline)
        link = task_url(public_url, str(task.get("boardId")), str(task.get("id"))) if public_url else ""
        items.append(
            (
                _clean(task.get("title") or "a task", 120),
                _clean(task.get("boardName") or "", 80),
                _relative_due(deadline, today),
                _status(task.get("status")),
                link,
            )
        )
    name = _clean(to_name or to_email, 100)
    overdue = sum(1 for _, _, due, _, _ in items if due.startswith("overdue"))
    if len(items) == 1:
        title, board, due, _, _ = items[0]
        subject = _clean(f'[{board or "Taskboard"}] "{title}" is {due}', 250)
    else:
        subject = f"[Taskboard] {len(items)} tasks due soon" + (f" ({overdue} overdue)" if overdue else "")
    lines = [f"Hi {name},", "", "These tasks of yours need attention:", ""]
    for t, b, d, s, link in items:
        lines.append(f'  - "{t}" on {b or "your board"}: {d} (status {s})')
        if link:
            lines.append(f"    {link}")
    footer = turn_off("emailDeadlineReminders")
    lines += ["", "-- ", footer, ""]
    e = html.escape

    def item_html(t: str, b: str, d: str, s: str, link: str) -> str:
        title = f'<a href="{e(link, quote=True)}">{e(t)}</a>' if link else e(t)
        return f"<li><b>{title}</b> on {e(b or 'your board')}: {e(d)} (status {e(s)})</li>"

    body_html = (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>Hi {e(name)},</p><p>These tasks of yours need attention:</p><ul>"
        + "".join(item_html(*item) for item in items)
        + f'</ul><hr><p style="color:#666;font-size:small">{e(footer)}</p></body></html>'
    )
    return RenderedMail(to_email, name, subject, "\n".join(lines), body_html)
