"""Plain records handed from the resolvers to the schema layer.

Rows are read with SQLAlchemy Core and turned into these slotted dataclasses:
no ORM identity map, and cheap for graphql-core to walk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, select

from models.ranks import RANK_DEFAULT
from models.table_refs import boards_t, members_t, tasks_t, users_t
from models.tables import BoardRole, TaskStatus


@dataclass(slots=True)
class UserRec:
    id: str
    email: str
    name: str
    created_at: datetime
    email_on_task_change: bool = True
    email_deadline_reminders: bool = True
    sms_on_task_change: bool = False
    phone_number: str | None = None
    email_on_mention: bool = True
    email_verified: bool = False
    phone_verified: bool = False

    @classmethod
    def from_row(cls, row: Any) -> UserRec:
        m = row._mapping
        return cls(
            id=m["id"],
            email=m["email"],
            name=m["name"],
            created_at=m["created_at"],
            email_on_task_change=bool(m["email_on_task_change"]),
            email_deadline_reminders=bool(m["email_deadline_reminders"]),
            sms_on_task_change=bool(m["sms_on_task_change"]),
            phone_number=m["phone_number"],
            email_on_mention=bool(m["email_on_mention"]),
            email_verified=m["email_verified_at"] is not None,
            phone_verified=m["phone_verified_at"] is not None,
        )


USER_COLUMNS = [
    users_t.c.id,
    users_t.c.email,
    users_t.c.name,
    users_t.c.created_at,
    users_t.c.email_on_task_change,
    users_t.c.email_deadline_reminders,
    users_t.c.sms_on_task_change,
    users_t.c.phone_number,
    users_t.c.email_on_mention,
    users_t.c.email_verified_at,
    users_t.c.phone_verified_at,
]
# Built once: on a request's path, building a statement costs more CPU than its round trip.
USERS_IN = select(*USER_COLUMNS).where(users_t.c.id.in_(bindparam("ids", expanding=True)))
USER_BY_ID = select(*USER_COLUMNS).where(users_t.c.id == bindparam("user_id"))


@dataclass(slots=True)
class BoardRec:
    id: str
    name: str
    created_at: datetime
    viewer_role: BoardRole
    event_seq: int = 0

    @classmethod
    def from_row(cls, row: Any) -> BoardRec:
        """A row of `viewer_boards`."""
        return cls(row.id, row.name, row.created_at, BoardRole(row.role), row.event_seq)


def viewer_boards(viewer_id: str | BindParameter[str]) -> Select[Any]:
    """The boards a user is a member of, with the user's role in each (the user
    given, or bound later to the parameter)."""
    return (
        select(boards_t.c.id, boards_t.c.name, boards_t.c.created_at, boards_t.c.event_seq, members_t.c.role)
        .join(members_t, members_t.c.board_id == boards_t.c.id)
        .where(members_t.c.user_id == viewer_id)
    )


@dataclass(slots=True)
class MemberRec:
    board_id: str
    user_id: str
    role: BoardRole
    added_at: datetime


@dataclass(slots=True)
class PersonRec:
    """The public face of a user (what the `User` type shows), read together with
    the tasks that name them."""

    id: str
    email: str
    name: str
    created_at: datetime


@dataclass(slots=True)
class TaskRec:
    id: str
    board_id: str
    title: str
    description: str
    status: TaskStatus
    deadline: date | None
    supervisor_id: str
    assignee_id: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    # Set when the page query read the people with the tasks (TASK_PAGE_COLUMNS).
    supervisor: PersonRec | None = None
    assignee: PersonRec | None = None
    rank: str = RANK_DEFAULT

    @classmethod
    def from_row(cls, row: Any) -> TaskRec:
        """A row that starts with TASK_COLUMNS (by position: no name lookups)."""
        return cls(row[0], row[1], row[2], row[3], TaskStatus(row[4]), row[5], row[6], row[7], row[8], row[9],
                   row[10], rank=row[11])

    @classmethod
    def with_people(cls, row: Any) -> TaskRec:
        """A row of TASK_PAGE_COLUMNS: the task, then its supervisor and assignee."""
        task = cls.from_row(row)
        if row[12] is not None:
            task.supervisor = PersonRec(row[12], row[13], row[14], row[15])
        if row[16] is not None:
            task.assignee = PersonRec(row[16], row[17], row[18], row[19])
        return task


TASK_COLUMNS = [
    tasks_t.c.id,
    tasks_t.c.board_id,
    tasks_t.c.title,
    tasks_t.c.description,
    tasks_t.c.status,
    tasks_t.c.deadline,
    tasks_t.c.supervisor_id,
    tasks_t.c.assignee_id,
    tasks_t.c.version,
    tasks_t.c.created_at,
    tasks_t.c.updated_at,
    tasks_t.c.rank,
]
_supervisors = users_t.alias("supervisor")
_assignees = users_t.alias("assignee")
# A page of tasks with the people they name, in one statement: TASK_COLUMNS, then
# id, email, name and created_at of the supervisor and of the assignee.
TASK_PAGE_COLUMNS = [
    *TASK_COLUMNS,
    *(_supervisors.c[name] for name in ("id", "email", "name", "created_at")),
    *(_assignees.c[name] for name in ("id", "email", "name", "created_at")),
]
TASKS_WITH_PEOPLE = tasks_t.outerjoin(_supervisors, _supervisors.c.id == tasks_t.c.supervisor_id).outerjoin(
    _assignees, _assignees.c.id == tasks_t.c.assignee_id)
