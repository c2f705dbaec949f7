"""The relational model: users, refresh tokens, boards, members, tasks and the
board event table (the outbox, and the replay source for subscriptions)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.sql.expression import text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# The event's kinds live in models.events (standard library only, shipped in the Lambda);
# re-exported here for the table code that names them.
from models.events import DETAIL_TYPES as DETAIL_TYPES
from models.events import LOG_TYPES as LOG_TYPES
from models.events import ActivityKind as ActivityKind
from models.events import BoardEventKind as BoardEventKind
from models.ranks import RANK_DEFAULT, RANK_MAX_LENGTH


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC (MySQL DATETIME(6) / SQLite text) and always hands back aware UTC."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "mysql":
            from sqlalchemy.dialects.mysql import DATETIME

            return dialect.type_descriptor(DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return _aware(value)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        """`process_result_value` in one call a value instead of TypeDecorator's three:
        a board page reads 200 of these (~5% of an uncached read's CPU, py-spy)."""
        impl_processor = self.impl_instance.result_processor(dialect, coltype)
        if impl_processor is None:  # MySQL: the driver gives datetime already
            return _aware

        def process(value: Any) -> datetime | None:
            return _aware(impl_processor(value))

        return process


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    # Millisecond precision: what the API shows is what is stored, so cursors built
    # from timestamps compare exactly on every backend.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class TaskStatus(enum.StrEnum):
    TODO = "TODO"
    IN_PROGRESS = "IN_PROGRESS"
    IN_REVIEW = "IN_REVIEW"
    DONE = "DONE"


class BoardRole(enum.StrEnum):
    OWNER = "OWNER"
    MEMBER = "MEMBER"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    password_hash: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = _ts()
    email_on_task_change: bool = True
    email_deadline_reminders: bool = True
    # Mail me when someone mentions me in a comment (migration 0005).
    email_on_mention: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=text("1")))
    sms_on_task_change: bool = False
    phone_number: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    # Accounts (migration 0004).  Mail and SMS go only to verified addresses and numbers.
    email_verified_at: datetime | None = _ts(nullable=True)
    phone_verified_at: datetime | None = _ts(nullable=True)
    # A password reset or change ends the other sessions: live sockets opened with an
    # access token issued before this instant are closed (taskboard.ws checks it).
    sessions_revoked_at: datetime | None = _ts(nullable=True)
    # Set when the account was deleted: the row stays (tasks and the log point at it)
    # with its personal data replaced.
    deleted_at: datetime | None = _ts(nullable=True)


class RefreshToken(SQLModel, table=True):
    """Opaque refresh tokens, stored as SHA-256 hashes.  Each rotation makes a new
    row of the same family; presenting a used token revokes the whole family."""

    __tablename__ = "refresh_tokens"

    id: int | None = Field(
        default=None,
        # SQLite only auto-increments an INTEGER PRIMARY KEY.
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    family_id: str = Field(sa_column=Column(String(36), nullable=False, index=True))
    user_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    created_at: datetime = _ts()
    # Indexed for retention (models.retention): expired and long-revoked rows go.
    expires_at: datetime = _ts(index=True)
    used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True, index=True)


class Board(SQLModel, table=True):
    __tablename__ = "boards"

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    created_at: datetime = _ts()
    created_by: str = Field(sa_column=Column(String(32), ForeignKey("users.id"), nullable=False))
    # The last seq handed out; the unit of work bumps it under a row lock.
    event_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class BoardMember(SQLModel, table=True):
    __tablename__ = "board_members"

    board_id: str = Field(sa_column=Column(String(32), ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True))
    user_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                          index=True))
    role: BoardRole = Field(sa_column=Column(String(10), nullable=False))
    added_at: datetime = _ts()


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_board_created", "board_id", "created_at", "id"),
        Index("ix_tasks_assignee", "assignee_id", "created_at", "id"),
        # A column of the board in its manual order (see `rank`).
        Index("ix_tasks_board_status_rank", "board_id", "status", "rank"),
        Index("ix_tasks_deadline", "deadline"),
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    board_id: str = Field(sa_column=Column(String(32), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    # 20,000 characters of 4-byte UTF-8 is 80,000 bytes: more than a MySQL TEXT (65,535) holds.
    description: str = Field(default="", sa_column=Column(Text().with_variant(mysql.MEDIUMTEXT(), "mysql"),
                                                          nullable=False))
    status: TaskStatus = Field(sa_column=Column(String(16), nullable=False))
    deadline: date | None = None
    supervisor_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id"), nullable=False, index=True))
    assignee_id: str | None = Field(default=None, sa_column=Column(String(32), ForeignKey("users.id"), nullable=True))
    version: int = 1
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    # The task's place in its status column: a fractional key (models.ranks), compared
    # bytewise (utf8mb4_bin on MySQL, BINARY on SQLite), ties broken by id.  A row
    # written without one (by hand) gets the first key of an empty column.
    rank: str = Field(default=RANK_DEFAULT, sa_column=Column(String(RANK_MAX_LENGTH), nullable=False,
                                                             server_default=RANK_DEFAULT))


class BoardEventRow(SQLModel, table=True):
    """One committed change of a board: the outbox row, the replay source for
    `afterSeq`, and the local activity log.  Written in the same transaction as
    the change; per destination a delivered-at, an attempt count and the last
    error, so an operator can see what did not arrive."""

    __tablename__ = "board_events"
    __table_args__ = (
        UniqueConstraint("board_id", "seq", name="uq_board_events_board_seq"),
        Index("ix_board_events_task", "task_id", "seq"),
        Index("ix_board_events_pending", "pending", "next_attempt_at"),
        # Retention (models.retention) finds what has aged out by it.
        Index("ix_board_events_created", "created_at"),
    )

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # event id (UUID)
    # No foreign key: a board's events outlive it.  `deleteBoard` deletes the board row
    # (its tasks, labels and members go by their cascades) in the transaction that
    # writes BOARD_DELETED; a cascade here would take that outbox row, and the board's
    # history, with it before the relay and the subscribers saw it.  Retention ages
    # them out like any other.
    board_id: str = Field(sa_column=Column(String(32), nullable=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: BoardEventKind = Field(sa_column=Column(String(20), nullable=False))
    activity_kind: ActivityKind = Field(sa_column=Column(String(24), nullable=False))
    detail_type: str = Field(sa_column=Column(String(32), nullable=False))
    task_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    actor_id: str = Field(sa_column=Column(String(32), nullable=False))
    actor_email: str = Field(sa_column=Column(String(254), nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()
    # Delivery state of the two destinations (DynamoDB activity log, EventBridge bus).
    pending: bool = Field(default=True)
    log_delivered_at: datetime | None = _ts(nullable=True)
    bus_delivered_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    next_attempt_at: datetime | None = _ts(nullable=True)


class AccountToken(SQLModel, table=True):
    """A token a mail carries (email verification, password reset), stored as its
    SHA-256; single-use (`used_at`) and expiring."""

    __tablename__ = "account_tokens"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    purpose: str = Field(sa_column=Column(String(16), nullable=False))
    user_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    # The address a verification token confirms (a token for an old address confirms nothing).
    email: str = Field(sa_column=Column(String(254), nullable=False))
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
    used_at: datetime | None = _ts(nullable=True)


class PhoneCode(SQLModel, table=True):
    """The one open phone verification code of a user (hashed), with its tries."""

    __tablename__ = "phone_codes"

    user_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    phone_number: str = Field(sa_column=Column(String(20), nullable=False))
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    expires_at: datetime = _ts()
    attempts: int = 0


class BoardInvitation(SQLModel, table=True):
    __tablename__ = "board_invitations"
    __table_args__ = (Index("ix_board_invitations_board", "board_id", "status"),
                      Index("ix_board_invitations_email", "email", "status"))

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    board_id: str = Field(sa_column=Column(String(32), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False))
    email: str = Field(sa_column=Column(String(254), nullable=False))
    role: BoardRole = Field(sa_column=Column(String(10), nullable=False))
    invited_by: str = Field(sa_column=Column(String(32), ForeignKey("users.id"), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    # OPEN, ACCEPTED, DECLINED or REVOKED.
    status: str = Field(sa_column=Column(String(10), nullable=False))
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)


class AccountMessage(SQLModel, table=True):
    """The outbox of a user's own mail and SMS (verification, reset, invitation,
    added to a board, phone code): written in the transaction that makes the token,
    delivered to the bus by the relay with retries, rendered by the mailer."""

    __tablename__ = "account_messages"
    __table_args__ = (Index("ix_account_messages_pending", "pending", "next_attempt_at"),)

    id: str = Field(sa_column=Column(String(36), primary_key=True))  # the bus event's id (UUID)
    user_id: str | None = Field(default=None, sa_column=Column(String(32), nullable=True, index=True))
    detail_type: str = Field(sa_column=Column(String(32), nullable=False))
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()
    pending: bool = Field(default=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)
    delivered_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class MessageUsage(SQLModel, table=True):
    """Mail and SMS a user's actions caused on one UTC day, for the quotas."""

    __tablename__ = "message_usage"

    user_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True))
    day: date = Field(sa_column=Column(Date, primary_key=True))
    channel: str = Field(sa_column=Column(String(8), primary_key=True))
    count: int = 0


class Label(SQLModel, table=True):
    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_board", "board_id", "created_at", "id"),)

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    board_id: str = Field(sa_column=Column(String(32), ForeignKey("boards.id", ondelete="CASCADE"), nullable=False))
    name: str = Field(sa_column=Column(String(50), nullable=False))
    color: str = Field(sa_column=Column(String(7), nullable=False))  # #rrggbb
    created_at: datetime = _ts()


class TaskLabel(SQLModel, table=True):
    __tablename__ = "task_labels"

    task_id: str = Field(sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True))
    label_id: str = Field(sa_column=Column(String(32), ForeignKey("labels.id", ondelete="CASCADE"), primary_key=True,
                                           index=True))


class Comment(SQLModel, table=True):
    """A comment on a task; the members it mentions were resolved when it was written
    (or last edited), so a later change of the board's members does not rewrite it."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_task", "task_id", "created_at", "id"),)

    id: str = Field(sa_column=Column(String(32), primary_key=True))
    task_id: str = Field(sa_column=Column(String(32), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False))
    author_id: str = Field(sa_column=Column(String(32), ForeignKey("users.id"), nullable=False, index=True))
    # 10,000 characters of 4-byte UTF-8 is 40,000 bytes: a MySQL TEXT holds it.
    body: str = Field(sa_column=Column(Text, nullable=False))
    mention_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()
    edited_at: datetime | None = _ts(nullable=True)
