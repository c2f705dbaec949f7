"""How mails speak to a person: people by name (an address is not a name), dates as
"Thu 3 Dec 2026", links to the board and the task, and footers that name a switch
as the settings page shows it.  Standard library only: it ships in the mailer Lambda;
the resolvers build the links the events carry with it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

# The settings page's words for each switch (web/src/settings.tsx; a test keeps them equal).
SETTINGS_PLACE = "Settings → Notifications"
SWITCH_LABELS = {
    "emailOnTaskChange": "Mail me when a task I supervise or am assigned to changes",
    "emailDeadlineReminders": "Mail me about my tasks that are due within a day or overdue",
    "emailOnMention": "Mail me when someone mentions me in a comment",
    "smsOnTaskChange": "Also text me when a task I am assigned to changes",
}


def turn_off(switch: str) -> str:
    return f'Turn off in {SETTINGS_PLACE} → "{SWITCH_LABELS[switch]}".'


def board_url(public_url: str, board_id: str) -> str:
    return f"{public_url.rstrip('/')}/boards/{quote(board_id, safe='')}"


def task_url(public_url: str, board_id: str, task_id: str) -> str:
    """The board with the task open (the web board opens `?task=` on load)."""
    return f"{board_url(public_url, board_id)}?task={quote(task_id, safe='')}"


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def day(value: Any) -> str:
    """`Thu 3 Dec 2026` (English names whatever the locale: mails are English)."""
    d = _as_date(value)
    if d is None:
        return "—" if value in (None, "") else str(value)
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def moment(value: Any) -> str:
    """`Thu 3 Dec 2026, 13:00 UTC` for an ISO instant (the events' `...Z` form)."""
    if not isinstance(value, str):
        return day(value)
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return f"{day(at)}, {at:%H:%M} UTC"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def name_of(person: Any, fallback: str = "Someone") -> str:
    if isinstance(person, Mapping) and person.get("name"):
        return str(person["name"])
    return fallback


def _task_of(detail: Mapping[str, Any]) -> Mapping[str, Any]:
    task = detail.get("task")
    return task if isinstance(task, Mapping) else {}


def actor_name(detail: Mapping[str, Any]) -> str:
    """Who made the change: the name the event carries, or one of the task's people
    (events written before `actorName` existed)."""
    if detail.get("actorName"):
        return str(detail["actorName"])
    task = _task_of(detail)
    for role in ("supervisor", "assignee"):
        person = task.get(role)
        if isinstance(person, Mapping) and person.get("id") == detail.get("actorId"):
            return name_of(person)
    return "Someone"


def person_by_id(detail: Mapping[str, Any], user_id: Any) -> str:
    """A name for a user id the event's `changes` hold (an assignee before or after)."""
    if user_id in (None, ""):
        return "nobody"
    task = _task_of(detail)
    recipients = detail.get("recipients")
    people = [task.get("supervisor"), task.get("assignee"), *(recipients if isinstance(recipients, list) else [])]
    for p in people:
        if isinstance(p, Mapping) and user_id in (p.get("id"), p.get("userId")) and p.get("name"):
            return str(p["name"])
    return "someone else"
