"""What an update of a task changes: the columns it writes, the `changes` its
event shows, the task after it and the kind of activity it is."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models.tables import ActivityKind, TaskStatus
from resolvers import label_store, validation
from resolvers.records import TaskRec

# A field an update leaves out (None is a value: it clears the field).
UNSET: Any = object()


def task_changes(before: TaskRec, *, title: Any, description: Any, status: Any, deadline: Any,
                 assignee_id: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns an update writes and the `changes` its event shows; fields
    left out (`UNSET`) or equal to the task's are not changes."""
    changes: dict[str, Any] = {}
    values: dict[str, Any] = {}
    texts = (("title", title, before.title, validation.TASK_TITLE),
             ("description", description, before.description, validation.TASK_DESCRIPTION))
    for name, given, old, rule in texts:
        if given is UNSET:
            continue
        validation.not_null(given, name, rule.thing)
        text = validation.text(given, rule)
        if text != old:
            values[name] = text
            changes[name] = {"from": old, "to": text}
    if status is not UNSET:
        validation.not_null(status, "status", "A task's status")
        if status != before.status:
            values["status"] = status.value
            changes["status"] = {"from": before.status.value, "to": status.value}
    if deadline is not UNSET and deadline != before.deadline:
        values["deadline"] = deadline
        changes["deadline"] = {"from": before.deadline.isoformat() if before.deadline else None,
                               "to": deadline.isoformat() if deadline else None}
    if assignee_id is not UNSET and assignee_id != before.assignee_id:
        values["assignee_id"] = assignee_id
        changes["assignee"] = {"from": before.assignee_id, "to": assignee_id}
    return values, changes


def applied(before: TaskRec, values: dict[str, Any]) -> TaskRec:
    """The task once the written `values` (with its new version and time) are in."""
    return replace(
        before,
        title=values.get("title", before.title),
        description=values.get("description", before.description),
        status=TaskStatus(values.get("status", before.status)),
        deadline=values.get("deadline", before.deadline),
        assignee_id=values.get("assignee_id", before.assignee_id),
        version=values["version"],
        updated_at=values["updated_at"],
        rank=values.get("rank", before.rank),
    )


def update_kind(changes: dict[str, Any]) -> ActivityKind:
    """A status change mails as one, then a new assignee; anything else is an update."""
    if "status" in changes:
        return ActivityKind.TASK_STATUS_CHANGED
    if "assignee" in changes:
        return ActivityKind.TASK_ASSIGNED
    return ActivityKind.TASK_UPDATED


def with_labels(snapshot: dict[str, Any], labels: list[label_store.LabelRec] | None) -> dict[str, Any]:
    """The task snapshot with its labels when the change knows them (else readers load them)."""
    if labels is not None:
        snapshot["labels"] = [lb.json() for lb in labels]
    return snapshot
