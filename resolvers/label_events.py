"""What label and board changes record: the seed-style log line and the payload
(no recipients: none of these mail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.tables import ActivityKind
from resolvers.events import base_payload, iso
from resolvers.label_store import LabelRec

_LABEL_VERBS = {
    ActivityKind.LABEL_CREATED: ("Created", "on"),
    ActivityKind.LABEL_UPDATED: ("Updated", "on"),
    ActivityKind.LABEL_DELETED: ("Deleted", "from"),
}


def label_payload(kind: ActivityKind, who: str, actor_email: str, board_name: str, label: LabelRec,
                  at: datetime, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """`label` is the label after the change (before it, for a deletion, which
    live subscribers see as null)."""
    verb, preposition = _LABEL_VERBS[kind]
    message = f"{who} {actor_email} {verb} Label {label.name} {preposition} Board {board_name} at {iso(at)}"
    payload = base_payload(kind, message, at, changes=changes)
    payload.update(labelId=label.id, label=None if kind == ActivityKind.LABEL_DELETED else label.json())
    if kind == ActivityKind.LABEL_DELETED:
        payload["changes"] = {"deleted": label.json()}
    return payload


def renamed_payload(who: str, actor_email: str, before: str, after: str, at: datetime) -> dict[str, Any]:
    message = f"{who} {actor_email} Renamed Board {before} to {after} at {iso(at)}"
    # `boardName` (the name after) is stamped by the unit of work from the locked board.
    return base_payload(ActivityKind.BOARD_RENAMED, message, at, changes={"name": {"from": before, "to": after}})


def deleted_payload(who: str, actor_email: str, board_name: str, at: datetime) -> dict[str, Any]:
    message = f"{who} {actor_email} Deleted Board {board_name} at {iso(at)}"
    return base_payload(ActivityKind.BOARD_DELETED, message, at, changes={"deleted": True})
