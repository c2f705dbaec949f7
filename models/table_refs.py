"""The SQLAlchemy Core `Table` of each model, one name each, for the statements
that are built once at import (SQLModel types the class, not its `__table__`, so
the one `type: ignore` per table is here rather than in every module)."""

from __future__ import annotations

from typing import Any

from models.tables import (
    AccountMessage,
    AccountToken,
    Board,
    BoardEventRow,
    BoardInvitation,
    BoardMember,
    Comment,
    Label,
    MessageUsage,
    PhoneCode,
    RefreshToken,
    Task,
    TaskLabel,
    User,
)


def _core(model: Any) -> Any:
    return model.__table__


users_t = _core(User)
refresh_t = _core(RefreshToken)
boards_t = _core(Board)
members_t = _core(BoardMember)
tasks_t = _core(Task)
events_t = _core(BoardEventRow)
tokens_t = _core(AccountToken)
codes_t = _core(PhoneCode)
invitations_t = _core(BoardInvitation)
messages_t = _core(AccountMessage)
usage_t = _core(MessageUsage)
labels_t = _core(Label)
task_labels_t = _core(TaskLabel)
comments_t = _core(Comment)
