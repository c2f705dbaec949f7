"""The unit of work: one SQL transaction around a mutation.

It locks the board, hands out the board's next `seq` for every change it
records, writes the change and its `board_events` row (the outbox) in the same
transaction, and only after the commit passes the committed events to the
listeners (live subscriptions, the AWS relay).  Anything not committed rolls
back and publishes nothing.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from models.db import WriteGate
from models.events import envelope
from models.table_refs import boards_t, events_t, members_t
from models.tables import (
    DETAIL_TYPES,
    ActivityKind,
    BoardEventKind,
    BoardEventRow,
    BoardRole,
    utcnow,
)
from models.tracing import current_traceparent

log = logging.getLogger("taskboard.uow")

# Built once: a statement built per call costs more CPU than its round trip.
_LOCK_BOARD = (select(boards_t.c.id, boards_t.c.name, boards_t.c.event_seq)
               .where(boards_t.c.id == bindparam("board_id")).with_for_update())
# The same lock and one user's role on the board in one round trip (on MySQL the
# member row is locked too; members change only under the board's lock anyway).
_LOCK_BOARD_WITH_ROLE = (
    select(boards_t.c.id, boards_t.c.name, boards_t.c.event_seq, members_t.c.role)
    .select_from(boards_t.outerjoin(members_t, and_(members_t.c.board_id == boards_t.c.id,
                                                    members_t.c.user_id == bindparam("user_id"))))
    .where(boards_t.c.id == bindparam("board_id"))
    .with_for_update()
)
_SET_SEQ = update(boards_t).where(boards_t.c.id == bindparam("board_id")).values(event_seq=bindparam("seq"))
_INSERT_EVENT = insert(events_t)
_EVENT_COLUMNS = tuple(c.name for c in events_t.columns)


@dataclass(slots=True)
class LockedBoard:
    """A board whose row this unit of work holds locked."""

    id: str
    name: str
    event_seq: int
    # The role of the user `lock_board` was asked about; None: not a member, or not asked.
    role: BoardRole | None = None


class UnitOfWork:
    def __init__(
        self,
        engine: AsyncEngine,
        gate: WriteGate,
        listeners: Sequence[Callable[[Sequence[BoardEventRow]], Any]] = (),
        *,
        lease_seconds: float | None = None,
    ) -> None:
        """`lease_seconds`: write the outbox rows already leased to this process's
        relay, which a listener hands them to after the commit (no claim needed);
        None leaves them for any relay's sweep."""
        self._engine = engine
        self._gate = gate
        self._listeners = listeners
        self._lease = None if lease_seconds is None else timedelta(seconds=lease_seconds)
        self._events: list[BoardEventRow] = []
        self._committed = False
        # A Core connection in one transaction: the mutations write rows, not ORM objects.
        self.conn: AsyncConnection

    async def __aenter__(self) -> UnitOfWork:
        await self._gate.__aenter__()
        try:
            self.conn = await self._engine.connect()
            # Marks the transaction a writer (BEGIN IMMEDIATE on SQLite).
            await self.conn.execution_options(write=True)
        except BaseException:
            await self._gate.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if not self._committed:
                await self.conn.rollback()
            await self.conn.close()
        finally:
            await self._gate.__aexit__()

    async def lock_board(self, board_id: str, *, member_id: str | None = None) -> LockedBoard | None:
        """Take the board's row lock first, always: every writer of a board
        queues here, so seqs follow commit order and locks never cross.  With
        `member_id`, that user's role comes back in the same round trip."""
        if member_id is None:
            row = (await self.conn.execute(_LOCK_BOARD, {"board_id": board_id})).first()
            return None if row is None else LockedBoard(row.id, row.name, row.event_seq)
        row = (await self.conn.execute(_LOCK_BOARD_WITH_ROLE, {"board_id": board_id, "user_id": member_id})).first()
        if row is None:
            return None
        return LockedBoard(row.id, row.name, row.event_seq, None if row.role is None else BoardRole(row.role))

    async def record(
        self,
        board: LockedBoard,
        *,
        kind: BoardEventKind,
        activity_kind: ActivityKind,
        actor_id: str,
        actor_email: str,
        task_id: str | None,
        payload: dict[str, Any],
        actor_name: str | None = None,
    ) -> BoardEventRow:
        """Take the board's next seq and write the outbox row for one change.
        `board` must come from `lock_board` in this unit of work.  `actor_name` is
        for the mails (they name people by name); `actorEmail` stays the contract's."""
        board.event_seq += 1
        await self.conn.execute(_SET_SEQ, {"board_id": board.id, "seq": board.event_seq})
        event_id = str(uuid.uuid4())
        now = utcnow()
        body = envelope(payload, event_id=event_id, seq=board.event_seq, board_id=board.id, board_name=board.name,
                        kind=kind, activity_kind=activity_kind, task_id=task_id, actor_id=actor_id,
                        actor_email=actor_email, actor_name=actor_name, at=now, traceparent=current_traceparent())
        row = BoardEventRow(
            id=event_id,
            board_id=board.id,
            seq=board.event_seq,
            kind=kind,
            activity_kind=activity_kind,
            detail_type=DETAIL_TYPES[activity_kind],
            task_id=task_id,
            actor_id=actor_id,
            actor_email=actor_email,
            payload=dict(body),
            created_at=now,
            pending=True,
            attempts=0 if self._lease is None else 1,
            next_attempt_at=None if self._lease is None else now + self._lease,
        )
        await self.conn.execute(_INSERT_EVENT, {name: getattr(row, name) for name in _EVENT_COLUMNS})
        self._events.append(row)
        return row

    async def commit(self) -> None:
        await self.conn.commit()
        self._committed = True
        # At once, with no await between: a close that fails or a task cancelled
        # after this point must not keep a committed change from its listeners.
        events, self._events = self._events, []
        if events:
            _notify(self._listeners, events)


# Listeners that return an awaitable run on as tasks: nothing can cancel them
# halfway, and the unit of work does not wait for them.
_background: set[asyncio.Future[Any]] = set()


def _notify(listeners: Sequence[Callable[[Sequence[BoardEventRow]], Any]], events: list[BoardEventRow]) -> None:
    for listener in listeners:
        try:
            result = listener(events)
        except Exception:  # the change is committed: the other listeners still get it
            log.exception("commit listener %r failed", listener)
            continue
        if inspect.isawaitable(result):
            future = asyncio.ensure_future(result)
            _background.add(future)
            future.add_done_callback(_listener_done)


def _listener_done(future: asyncio.Future[Any]) -> None:
    _background.discard(future)
    if not future.cancelled() and future.exception() is not None:
        log.error("commit listener failed", exc_info=future.exception())
