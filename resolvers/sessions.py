"""The live sockets of this process by user, so that a password reset or change can
end a user's other live sessions (closed with 4403) at once.  The websocket layer
registers a closer per authenticated socket; nothing here knows Starlette."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

Closer = Callable[[], Awaitable[None]]


class SessionRegistry:
    def __init__(self) -> None:
        self._by_user: dict[str, set[Closer]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, user_id: str, closer: Closer) -> None:
        self._by_user.setdefault(user_id, set()).add(closer)

    def discard(self, user_id: str, closer: Closer) -> None:
        closers = self._by_user.get(user_id)
        if closers is not None:
            closers.discard(closer)
            if not closers:
                del self._by_user[user_id]

    def count(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))

    def end(self, user_id: str) -> int:
        """Close every live socket of the user (in the background: a slow peer must
        not hold the mutation); returns how many."""
        closers = self._by_user.pop(user_id, set())
        for closer in closers:
            task = asyncio.get_running_loop().create_task(_quietly(closer))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return len(closers)


async def _quietly(closer: Closer) -> None:
    with contextlib.suppress(Exception):
        await closer()
