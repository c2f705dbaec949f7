"""What a change records: the task snapshot, the seed-style log line and the
mail recipients, resolved while the change commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.events import iso
from models.tables import LOG_TYPES, ActivityKind, BoardRole, TaskStatus
from resolvers.records import MemberRec, TaskRec, UserRec

STATUS_WORDS = {
    TaskStatus.TODO: "To Do",
    TaskStatus.IN_PROGRESS: "In Progress",
    TaskStatus.IN_REVIEW: "In Review",
    TaskStatus.DONE: "Done",
}


def user_json(u: UserRec | None) -> dict[str, str] | None:
    if u is None:
        return None
    return {"id": u.id, "email": u.email, "name": u.name, "createdAt": iso(u.created_at)}


def task_json(t: TaskRec, supervisor: UserRec, assignee: UserRec | None) -> dict[str, Any]:
    return {
        "id": t.id,
        "boardId": t.board_id,
        "title": t.title,
        "description": t.description,
        "status": t.status.value,
        "deadline": t.deadline.isoformat() if t.deadline else None,
        "version": t.version,
        "createdAt": iso(t.created_at),
        "updatedAt": iso(t.updated_at),
        "rank": t.rank,
        "supervisor": user_json(supervisor),
        "assignee": user_json(assignee),
    }


def member_json(m: MemberRec, user: UserRec) -> dict[str, Any]:
    return {"user": user_json(user), "role": m.role.value, "addedAt": iso(m.added_at)}


def actor_title(actor_id: str, task: TaskRec | None, actor_role: BoardRole | None) -> str:
    """The actor's part in the change, as the seed's log line names it."""
    if task is not None and actor_id == task.supervisor_id:
        return "Supervisor"
    if task is not None and actor_id == task.assignee_id:
        return "Assignee"
    return "Owner" if actor_role == BoardRole.OWNER else "Member"


def task_message(kind: ActivityKind, who: str, actor_email: str, task: TaskRec, at: datetime,
                 assignee: UserRec | None = None) -> str:
    if kind == ActivityKind.TASK_STATUS_CHANGED:
        verb = STATUS_WORDS[task.status]
    elif kind == ActivityKind.TASK_ASSIGNED:
        verb = f"Assigned {assignee.email}" if assignee else "Unassigned"
    else:
        verb = {ActivityKind.TASK_CREATED: "Created", ActivityKind.TASK_DELETED: "Deleted",
                ActivityKind.TASK_MOVED: "Moved"}.get(kind, "Updated")
    return f"{who} {actor_email} {verb} Task {task.title} at {iso(at)}"


def member_message(added: bool, who: str, actor_email: str, member: UserRec, board_name: str, at: datetime) -> str:
    verb, preposition = ("Added", "to") if added else ("Removed", "from")
    return f"{who} {actor_email} {verb} Member {member.email} {preposition} Board {board_name} at {iso(at)}"


def recipients(actor_id: str, people: list[tuple[str, UserRec | None]]) -> list[dict[str, Any]]:
    """Supervisor, assignee and a replaced assignee, minus the actor and anyone who
    asked for neither mail nor SMS; one entry per person.  Mail only to a verified
    address, SMS only to a verified number."""
    out: list[dict[str, Any]] = []
    seen = {actor_id}
    for reason, user in people:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        sms = user.phone_number if user.sms_on_task_change and user.phone_number and user.phone_verified else None
        send_email = user.email_on_task_change and user.email_verified
        if not send_email and sms is None:
            continue
        out.append({
            "userId": user.id,
            "email": user.email,
            "name": user.name,
            "reason": reason,
            "sendEmail": send_email,
            "smsNumber": sms,
        })
    return out


def base_payload(kind: ActivityKind, message: str, at: datetime, *, task: dict[str, Any] | None = None,
                 member: dict[str, Any] | None = None, changes: dict[str, Any] | None = None,
                 recipients: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "logType": LOG_TYPES[kind],
        "task": task,
        "member": member,
        "changes": changes,
        "message": message,
        "at": iso(at),
        "recipients": recipients or [],
    }
