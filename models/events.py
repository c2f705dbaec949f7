"""What a board event is, for every folder that produces or consumes one: its kinds,
their EventBridge detail types and the seed's `LogType`s, and which of them mail.

Standard library only: the mailer Lambda ships this module (deploy/lambda/build_zip.py),
and `deploy/events.tf` and the contract are pinned to it by tests."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

SOURCE = "taskboard"


class ActivityKind(enum.StrEnum):
    """The finer kind of the activity log and the bus (a live TASK_UPDATED may be a
    status change, an assignment or a move)."""

    TASK_CREATED = "TASK_CREATED"
    TASK_UPDATED = "TASK_UPDATED"
    TASK_STATUS_CHANGED = "TASK_STATUS_CHANGED"
    TASK_ASSIGNED = "TASK_ASSIGNED"
    TASK_DELETED = "TASK_DELETED"
    MEMBER_ADDED = "MEMBER_ADDED"
    MEMBER_REMOVED = "MEMBER_REMOVED"
    MEMBER_ROLE_CHANGED = "MEMBER_ROLE_CHANGED"
    TASK_MOVED = "TASK_MOVED"
    COMMENT_ADDED = "COMMENT_ADDED"
    COMMENT_UPDATED = "COMMENT_UPDATED"
    COMMENT_DELETED = "COMMENT_DELETED"
    LABEL_CREATED = "LABEL_CREATED"
    LABEL_UPDATED = "LABEL_UPDATED"
    LABEL_DELETED = "LABEL_DELETED"
    BOARD_RENAMED = "BOARD_RENAMED"
    BOARD_DELETED = "BOARD_DELETED"


class BoardEventKind(enum.StrEnum):
    """The kind a live subscriber sees (`BoardEvent.kind`): each is also an activity
    kind, of the same name and value."""

    TASK_CREATED = ActivityKind.TASK_CREATED.value
    TASK_UPDATED = ActivityKind.TASK_UPDATED.value
    TASK_DELETED = ActivityKind.TASK_DELETED.value
    MEMBER_ADDED = ActivityKind.MEMBER_ADDED.value
    MEMBER_REMOVED = ActivityKind.MEMBER_REMOVED.value
    MEMBER_ROLE_CHANGED = ActivityKind.MEMBER_ROLE_CHANGED.value
    COMMENT_ADDED = ActivityKind.COMMENT_ADDED.value
    COMMENT_UPDATED = ActivityKind.COMMENT_UPDATED.value
    COMMENT_DELETED = ActivityKind.COMMENT_DELETED.value
    LABEL_CREATED = ActivityKind.LABEL_CREATED.value
    LABEL_UPDATED = ActivityKind.LABEL_UPDATED.value
    LABEL_DELETED = ActivityKind.LABEL_DELETED.value
    BOARD_RENAMED = ActivityKind.BOARD_RENAMED.value
    BOARD_DELETED = ActivityKind.BOARD_DELETED.value


# EventBridge DetailType and the seed's LogType of each activity kind.
DETAIL_TYPES: dict[ActivityKind, str] = {
    ActivityKind.TASK_CREATED: "TaskCreated",
    ActivityKind.TASK_UPDATED: "TaskUpdated",
    ActivityKind.TASK_STATUS_CHANGED: "TaskStatusChanged",
    ActivityKind.TASK_ASSIGNED: "TaskAssigned",
    ActivityKind.TASK_DELETED: "TaskDeleted",
    ActivityKind.MEMBER_ADDED: "MemberAdded",
    ActivityKind.MEMBER_REMOVED: "MemberRemoved",
    ActivityKind.MEMBER_ROLE_CHANGED: "MemberRoleChanged",
    ActivityKind.TASK_MOVED: "TaskMoved",
    ActivityKind.COMMENT_ADDED: "CommentAdded",
    ActivityKind.COMMENT_UPDATED: "CommentUpdated",
    ActivityKind.COMMENT_DELETED: "CommentDeleted",
    ActivityKind.LABEL_CREATED: "LabelCreated",
    ActivityKind.LABEL_UPDATED: "LabelUpdated",
    ActivityKind.LABEL_DELETED: "LabelDeleted",
    ActivityKind.BOARD_RENAMED: "BoardRenamed",
    ActivityKind.BOARD_DELETED: "BoardDeleted",
}
LOG_TYPES: dict[ActivityKind, str] = {
    ActivityKind.TASK_CREATED: "Create",
    ActivityKind.TASK_UPDATED: "Update",
    ActivityKind.TASK_STATUS_CHANGED: "StatusChange",
    ActivityKind.TASK_ASSIGNED: "Assign",
    ActivityKind.TASK_DELETED: "Delete",
    ActivityKind.MEMBER_ADDED: "MemberAdd",
    ActivityKind.MEMBER_REMOVED: "MemberRemove",
    ActivityKind.MEMBER_ROLE_CHANGED: "RoleChange",
    ActivityKind.TASK_MOVED: "Move",
    ActivityKind.COMMENT_ADDED: "Comment",
    ActivityKind.COMMENT_UPDATED: "CommentEdit",
    ActivityKind.COMMENT_DELETED: "CommentDelete",
    ActivityKind.LABEL_CREATED: "LabelCreate",
    ActivityKind.LABEL_UPDATED: "LabelUpdate",
    ActivityKind.LABEL_DELETED: "LabelDelete",
    ActivityKind.BOARD_RENAMED: "BoardRename",
    ActivityKind.BOARD_DELETED: "BoardDelete",
}

# The detail types whose events mail the task's people (the bus rule's pattern in
# deploy/events.tf and notify.provision, and what the mailer handles).
TASK_MAIL_DETAIL_TYPES: tuple[str, ...] = (
    "TaskCreated", "TaskUpdated", "TaskStatusChanged", "TaskAssigned", "TaskDeleted",
)
# A user's own messages (not board changes): written to the `account_messages` outbox
# with the token they carry, put on the bus by the relay, rendered by the mailer.
ACCOUNT_EMAIL_VERIFICATION = "AccountEmailVerification"
ACCOUNT_PASSWORD_RESET = "AccountPasswordReset"  # noqa: S105  # nosec B105 - a detail type, not a password
ACCOUNT_INVITATION = "AccountInvitation"
ACCOUNT_PHONE_CODE = "AccountPhoneCode"
ACCOUNT_MAIL_DETAIL_TYPES: tuple[str, ...] = (
    ACCOUNT_EMAIL_VERIFICATION, ACCOUNT_PASSWORD_RESET, ACCOUNT_INVITATION, ACCOUNT_PHONE_CODE,
)
# A comment mails the task's people and everyone it mentions (resolvers.comment_events).
COMMENT_MAIL_DETAIL_TYPES: tuple[str, ...] = ("CommentAdded",)
# A person added to a board gets one mail saying so (notify.account_mail).
MEMBER_MAIL_DETAIL_TYPES: tuple[str, ...] = ("MemberAdded",)
MAIL_DETAIL_TYPES: tuple[str, ...] = (TASK_MAIL_DETAIL_TYPES + COMMENT_MAIL_DETAIL_TYPES + ACCOUNT_MAIL_DETAIL_TYPES
                                      + MEMBER_MAIL_DETAIL_TYPES)


def iso(value: datetime) -> str:
    """The one timestamp form on the wire, in the log and in mail markers (the
    contract's DateTime: UTC, milliseconds, `Z`)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# Payloads written before the field existed are version 1; `encode_event` leaves it
# out while it is 1, so what goes on the bus and into the log stays byte for byte
# what it was.
EVENT_VERSION = 1


class BoardEventPayload(TypedDict, total=False):
    """The `board_events.payload` a change records (resolvers/events.py builds the
    body, models/uow.py `record` adds the envelope), as it travels on the bus (the
    Detail) and to the mailer.  Kind-specific parts (task, member, comment, label,
    changes) stay dicts: their shapes are the contract's types."""

    version: NotRequired[int]
    eventId: str
    seq: int
    boardId: str
    boardName: str
    kind: str
    activityKind: str
    detailType: str
    taskId: str | None
    actorId: str
    actorEmail: str
    actorName: str
    at: str
    logType: str
    message: str
    task: dict[str, Any] | None
    member: dict[str, Any] | None
    changes: dict[str, Any] | None
    recipients: list[dict[str, Any]]
    traceparent: str
    # A comment event (resolvers/comment_events.py); the comment is null once deleted.
    commentId: str
    comment: dict[str, Any] | None
    # A label event (resolvers/label_events.py); the label is null once deleted.
    labelId: str
    label: dict[str, Any] | None
    # Added on the way out: links for the mail (resolvers/quota.py), mail held by the
    # daily quota, and a description the relay cut to fit the bus.
    boardUrl: str
    taskUrl: str
    quota: dict[str, int]
    descriptionTruncated: bool


def envelope(body: Mapping[str, Any], *, event_id: str, seq: int, board_id: str, board_name: str,
             kind: BoardEventKind, activity_kind: ActivityKind, task_id: str | None, actor_id: str,
             actor_email: str, actor_name: str | None, at: datetime, traceparent: str | None) -> BoardEventPayload:
    """The change's `body` (resolvers/events.py) with what every event carries.
    The key order is the bus's and the log's byte order: the body's keys, then the
    envelope's."""
    out: dict[str, Any] = dict(body)
    out.update(eventId=event_id, seq=seq, boardId=board_id, boardName=board_name, kind=kind.value,
               activityKind=activity_kind.value, detailType=DETAIL_TYPES[activity_kind], taskId=task_id,
               actorId=actor_id, actorEmail=actor_email)
    if actor_name:
        out["actorName"] = actor_name
    out.setdefault("at", iso(at))
    if traceparent is not None:
        out["traceparent"] = traceparent  # the relay's and the mailer's spans continue this trace
    return out  # type: ignore[return-value]


def encode_event(payload: BoardEventPayload | dict[str, Any]) -> str:
    """The payload as the bus carries it (compact JSON, UTF-8 left as is)."""
    body = dict(payload)
    if body.get("version") == EVENT_VERSION:
        del body["version"]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def decode_event(detail: str | bytes | dict[str, Any] | Any) -> BoardEventPayload:
    """A Detail (JSON text, or already parsed as EventBridge hands it to a Lambda)
    back to a payload; anything that is not an object decodes to an empty one."""
    if isinstance(detail, str | bytes):
        detail = json.loads(detail)
    if not isinstance(detail, Mapping):
        return BoardEventPayload()
    out: dict[str, Any] = dict(detail)
    out.setdefault("version", EVENT_VERSION)
    return out  # type: ignore[return-value]
