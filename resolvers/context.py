"""What every operation gets: the shared services and the per-request state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from auth.passwords import Passwords
from auth.ratelimit import FailureLimiter
from auth.tokens import TokenService
from models.db import WriteGate
from models.errors import ApiError, ErrorCode
from models.tables import BoardEventRow, BoardRole
from models.uow import UnitOfWork
from notify.activity_port import ActivityLog
from resolvers import label_store
from resolvers.label_store import LabelRec
from resolvers.loaders import BatchLoader
from resolvers.quota import QuotaUnitOfWork
from resolvers.records import USERS_IN, BoardRec, MemberRec, UserRec, boards_t, members_t, viewer_boards
from resolvers.sessions import SessionRegistry


@dataclass
class Services:
    """Built once by the bootstrap; shared by every request."""

    # Core connections, not ORM sessions: every resolver reads and writes rows with
    # SQLAlchemy Core, and a Session's bookkeeping cost more than the statements.
    engine: AsyncEngine
    gate: WriteGate
    tokens: TokenService
    passwords: Passwords
    limiter: FailureLimiter
    activity: ActivityLog
    max_page_size: int = 100
    # Single-statement reads: autocommit connections on MySQL (no BEGIN/ROLLBACK round
    # trips); the same engine as writes on SQLite.  None: use `engine`.
    read_engine: AsyncEngine | None = None
    hub: Any = None  # resolvers.live.Hub: the live fan-out
    commit_listeners: list[Callable[[Sequence[BoardEventRow]], Any]] = field(default_factory=list)
    # Called after a user's name changes (the response cache of board reads forgets).
    names_changed: list[Callable[[], Any]] = field(default_factory=list)
    # Set when this process runs the outbox relay: its units of work write their
    # outbox rows leased to it, and a commit listener hands them over.
    outbox_lease: float | None = None
    # Accounts: the web board's address, for the links that mails carry; this
    # process's live sockets by user; and a wake-up for the account mail relay.
    public_url: str = "http://localhost:8000"
    sessions: SessionRegistry = field(default_factory=SessionRegistry)
    account_mail_nudge: Callable[[], Any] | None = None
    # notify.suppression.SuppressionReader when AWS is on: whether mail to an
    # address stopped after a hard bounce or a complaint.  None: never.
    mail_suppressions: Any = None
    # Mail and SMS one user's actions may cause per UTC day (resolvers.quota).
    mail_quota: int = 200
    sms_quota: int = 20


    def reader(self) -> AsyncConnection:
        return (self.read_engine or self.engine).connect()


# Built once (a statement built per call costs more CPU than its round trip).
_VIEWER_BOARDS_IN = viewer_boards(bindparam("viewer_id", type_=String)).where(
    boards_t.c.id.in_(bindparam("ids", expanding=True)))


class Loaders:
    """Per-request batch loaders: a page of 50 tasks costs one query for their users."""

    def __init__(self, services: Services, viewer_id: str | None) -> None:
        self._services = services
        self._viewer_id = viewer_id
        self.users: BatchLoader[str, UserRec] = BatchLoader(self._users)
        self.boards: BatchLoader[str, BoardRec] = BatchLoader(self._boards)
        self.members: BatchLoader[str, list[MemberRec]] = BatchLoader(self._members)
        self.board_labels: BatchLoader[str, list[LabelRec]] = BatchLoader(self._board_labels)
        self.task_labels: BatchLoader[str, list[LabelRec]] = BatchLoader(self._task_labels)

    async def _board_labels(self, board_ids: list[str]) -> dict[str, list[LabelRec]]:
        async with self._services.reader() as s:
            return await label_store.board_labels(s, board_ids)

    async def _task_labels(self, task_ids: list[str]) -> dict[str, list[LabelRec]]:
        async with self._services.reader() as s:
            return await label_store.task_labels(s, task_ids)

    async def _users(self, ids: list[str]) -> dict[str, UserRec]:
        async with self._services.reader() as s:
            rows = await s.execute(USERS_IN, {"ids": ids})
        return {r.id: UserRec.from_row(r) for r in rows}

    async def _boards(self, ids: list[str]) -> dict[str, BoardRec]:
        """Boards the viewer is a member of, with the viewer's role; others are absent."""
        if self._viewer_id is None:
            return {}
        async with self._services.reader() as s:
            rows = await s.execute(_VIEWER_BOARDS_IN, {"viewer_id": self._viewer_id, "ids": ids})
        return {r.id: BoardRec.from_row(r) for r in rows}

    async def _members(self, board_ids: list[str]) -> dict[str, list[MemberRec]]:
        q = (
            select(members_t.c.board_id, members_t.c.user_id, members_t.c.role, members_t.c.added_at)
            .where(members_t.c.board_id.in_(board_ids))
            .order_by(members_t.c.added_at, members_t.c.user_id)
        )
        out: dict[str, list[MemberRec]] = {b: [] for b in board_ids}
        async with self._services.reader() as s:
            for r in await s.execute(q):
                out[r.board_id].append(MemberRec(r.board_id, r.user_id, BoardRole(r.role), r.added_at))
        return out


class Ctx:
    """Per request (or per websocket operation).  Holds no open database connection:
    reads open a short one each, writes go through a unit of work."""

    def __init__(
        self,
        services: Services,
        *,
        viewer_id: str | None = None,
        client_ip: str = "unknown",
        request_id: str = "-",
    ) -> None:
        self.services = services
        self.viewer_id = viewer_id
        self.client_ip = client_ip
        self.request_id = request_id
        self.loaders = Loaders(services, viewer_id)
        # The client asked for its refresh token in a cookie (taskboard.session_cookie):
        # a token issued in this request is kept here for it, not put in the body.
        self.session_cookie = False
        self.issued_refresh: str | None = None

    def require_viewer(self) -> str:
        if self.viewer_id is None:
            raise ApiError(ErrorCode.UNAUTHENTICATED, "Authentication required")
        return self.viewer_id

    def uow(self) -> UnitOfWork:
        return QuotaUnitOfWork(self.services.engine, self.services.gate, self.services.commit_listeners,
                               lease_seconds=self.services.outbox_lease, mail_cap=self.services.mail_quota,
                               sms_cap=self.services.sms_quota, public_url=self.services.public_url)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.services.reader() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A transaction for writes that record no board event (accounts, settings)."""
        async with self.services.gate, self.services.engine.connect() as conn:
            await conn.execution_options(write=True)  # BEGIN IMMEDIATE on SQLite
            yield conn

    def page_size(self, first: int | None, default: int = 50) -> int:
        n = default if first is None else first
        if n < 0 or n > self.services.max_page_size:
            raise ApiError(
                ErrorCode.BAD_USER_INPUT,
                f"Ask for 0 to {self.services.max_page_size} items at a time.",
                field="first",
            )
        return n
