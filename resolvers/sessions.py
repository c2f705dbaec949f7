"""The live sockets of this process by user, so that a password reset or change can
end a user's other live sessions (closed with 4403).  The process that made the
change ends its own sockets at once; every process also watches the users'
`sessions_revoked_at` (one query per interval), so sockets on other instances
close too, and the access tokens of accounts deleted on another instance stop
working here.  The websocket layer registers a closer per authenticated socket;
nothing here knows Starlette."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select

from auth.tokens import TokenService
from models.table_refs import users_t

Closer = Callable[[], Awaitable[None]]
_REVOKED_SINCE = (select(users_t.c.id, users_t.c.sessions_revoked_at, users_t.c.deleted_at)
                  .where(users_t.c.sessions_revoked_at > bindparam("since")))
log = logging.getLogger("taskboard.sessions")
_MARGIN = timedelta(seconds=10)


class SessionRegistry:
    def __init__(self) -> None:
        # user id -> closer -> when the socket was authenticated (epoch seconds)
        self._by_user: dict[str, dict[Closer, float]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, user_id: str, closer: Closer) -> None:
        self._by_user.setdefault(user_id, {})[closer] = time.time()

    def discard(self, user_id: str, closer: Closer) -> None:
        closers = self._by_user.get(user_id)
        if closers is not None:
            closers.pop(closer, None)
            if not closers:
                del self._by_user[user_id]

    def count(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))

    def end(self, user_id: str, before: float | None = None) -> int:
        """Close the user's live sockets (those authenticated before `before`, when
        given), in the background: a slow peer must not hold the caller."""
        closers = self._by_user.get(user_id, {})
        ended = [c for c, at in closers.items() if before is None or at < before]
        for closer in ended:
            self.discard(user_id, closer)
            task = asyncio.get_running_loop().create_task(_quietly(closer))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return len(ended)

    async def watch(self, connect: Callable[[], contextlib.AbstractAsyncContextManager[object]],
                    interval: float, tokens: TokenService | None = None) -> None:
        """End the sockets of users whose sessions were revoked on any instance, and
        (given `tokens`) refuse the access tokens of accounts deleted on any instance."""
        since = datetime.now(UTC)
        if tokens is not None:
            # Tokens of accounts deleted just before this process started are still unexpired.
            since -= timedelta(seconds=tokens.access_ttl)
        while True:
            await asyncio.sleep(interval)
            if not self._by_user and tokens is None:
                since = datetime.now(UTC)
                continue
            try:
                async with connect() as conn:
                    # A margin for commits that land after a later one: ending twice is harmless
                    # (only sockets authenticated before the revocation close).
                    rows = (await conn.execute(_REVOKED_SINCE,  # type: ignore[attr-defined]
                                               {"since": since - _MARGIN})).all()
            except Exception:
                log.warning("could not read revoked sessions", exc_info=True)
                continue
            for user_id, revoked_at, deleted_at in rows:
                since = max(since, revoked_at)
                if tokens is not None and deleted_at is not None:
                    tokens.revoke_user(user_id, deleted_at.timestamp())
                if user_id in self._by_user:
                    self.end(user_id, before=revoked_at.timestamp())


async def _quietly(closer: Closer) -> None:
    with contextlib.suppress(Exception):
        await closer()
