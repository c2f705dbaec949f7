"""Who may do what to a task: the one home of the rule.  The mutations enforce it
(`tasks`, `moves`, `comments`) and `Task.viewerCan` shows it, so a control the web
board offers is one the server accepts.  Each check answers None (allowed) or the
sentence a person reads when refused."""

from __future__ import annotations

from typing import Protocol

from models.errors import ApiError, ErrorCode
from models.tables import BoardRole

UPDATE_REFUSED = "Only the supervisor, the assignee and the board's owners can change this task."
MOVE_REFUSED = "Only the supervisor, the assignee and the board's owners can move this task."
DELETE_REFUSED = "Only the supervisor and the board's owners can delete this task."


class _Task(Protocol):
    @property
    def supervisor_id(self) -> str: ...

    @property
    def assignee_id(self) -> str | None: ...


def _in_charge(viewer_id: str, task: _Task, role: BoardRole | None) -> bool:
    return viewer_id in (task.supervisor_id, task.assignee_id) or role == BoardRole.OWNER


def update_refused(viewer_id: str, task: _Task, role: BoardRole | None) -> str | None:
    return None if _in_charge(viewer_id, task, role) else UPDATE_REFUSED


def move_refused(viewer_id: str, task: _Task, role: BoardRole | None) -> str | None:
    return None if _in_charge(viewer_id, task, role) else MOVE_REFUSED


def delete_refused(viewer_id: str, task: _Task, role: BoardRole | None) -> str | None:
    return None if viewer_id == task.supervisor_id or role == BoardRole.OWNER else DELETE_REFUSED


def comment_refused(viewer_id: str, task: _Task, role: BoardRole | None) -> str | None:
    """Any member comments (the contract: any member reads and writes on the board)."""
    return None


def require(reason: str | None) -> None:
    if reason is not None:
        raise ApiError(ErrorCode.FORBIDDEN, reason)
