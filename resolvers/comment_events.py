"""What a comment's change records: the comment and task snapshots, the log line,
and the mail recipients (resolved while the change commits, as for tasks)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from models.tables import ActivityKind, BoardRole, utcnow
from resolvers import events
from resolvers.records import TaskRec, UserRec

if TYPE_CHECKING:
    from resolvers.comments import CommentRec

_VERBS = {
    ActivityKind.COMMENT_ADDED: "Commented on",
    ActivityKind.COMMENT_UPDATED: "Edited a Comment on",
    ActivityKind.COMMENT_DELETED: "Deleted a Comment on",
}


def comment_json(c: CommentRec, people: dict[str, UserRec]) -> dict[str, Any]:
    return {
        "id": c.id,
        "taskId": c.task_id,
        "body": c.body,
        "author": events.user_json(people.get(c.author_id)),
        "mentions": [events.user_json(people[i]) for i in c.mention_ids if i in people],
        "createdAt": events.iso(c.created_at),
        "editedAt": events.iso(c.edited_at) if c.edited_at else None,
    }


def recipients(actor_id: str, supervisor: UserRec | None, assignee: UserRec | None,
               mentioned: list[UserRec]) -> list[dict[str, Any]]:
    """Everyone the comment mentions (who kept `emailOnMention`), then the task's
    supervisor and assignee (as for a task change); each once, never the author.
    Built with `events.recipients`, so whatever it requires of a recipient holds here."""
    out: list[dict[str, Any]] = []
    seen = {actor_id}
    for user in mentioned:
        if user.id in seen or not user.email_on_mention:
            continue  # with mentions off, a supervisor or assignee may still get it below
        # A mention is mail only: SMS is for changes of one's own tasks.
        entry = events.recipients(actor_id, [("mention", replace(user, email_on_task_change=True,
                                                                 sms_on_task_change=False))])
        out.extend(entry)
        seen.update(e["userId"] for e in entry)
    for reason, person in (("supervisor", supervisor), ("assignee", assignee)):
        if person is not None and person.id not in seen:
            out.extend(events.recipients(actor_id, [(reason, person)]))
            seen.add(person.id)
    return out


def payload(kind: ActivityKind, task: TaskRec, comment: CommentRec, people: dict[str, UserRec], actor_id: str,
            actor_role: BoardRole, *, deleted: bool = False) -> dict[str, Any]:
    now = utcnow()
    actor = people[actor_id]
    supervisor = people.get(task.supervisor_id)
    assignee = people.get(task.assignee_id) if task.assignee_id else None
    who = events.actor_title(actor_id, task, actor_role)
    message = f"{who} {actor.email} {_VERBS[kind]} Task {task.title} at {events.iso(now)}"
    mail_to: list[dict[str, Any]] = []
    if kind == ActivityKind.COMMENT_ADDED:
        mentioned = [people[i] for i in comment.mention_ids if i in people]
        mail_to = recipients(actor_id, supervisor, assignee, mentioned)
    body = events.base_payload(
        kind, message, now,
        task=events.task_json(task, supervisor, assignee) if supervisor is not None else None,
        recipients=mail_to,
    )
    body["comment"] = None if deleted else comment_json(comment, people)
    body["commentId"] = comment.id
    return body
