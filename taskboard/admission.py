"""Admission of queries while this process writes.

A mutation holds its board's row lock across several statements, and each one's
answer waits for a turn of the event loop.  A turn runs every request that is
ready, so with dozens of queries in flight the lock is held for many turns of
other people's work, and every other writer of the board queues behind it.
While a write transaction of this process is in flight, `QueryGate` lets at most
`limit` queries run at once (the others wait to start, in arrival order); with no
write in flight queries are not held back at all.  Mutations never wait here.

Measured (bench/README.md, "Reads and writes mixed"): on the mixed workload the
limit took the p99 from ~630-800 ms to ~150 ms at the same throughput; limits of
2 to 8 held the tail down, 12 and above did not.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from models.db import WriteGate


class QueryGate:
    def __init__(self, writes: WriteGate, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.running = 0
        self.waited = 0  # how many queries had to wait
        self._writes = writes
        self._waiting: deque[asyncio.Future[None]] = deque()
        writes.on_idle = self._admit

    def _open(self) -> bool:
        return self._writes.writers == 0 or self.running < self.limit

    def _admit(self) -> None:
        while self._waiting and self._open():
            future = self._waiting.popleft()
            if not future.done():  # else cancelled while waiting
                self.running += 1  # counted for it: it cannot be overtaken
                future.set_result(None)

    @asynccontextmanager
    async def query(self) -> AsyncIterator[None]:
        if self._waiting or not self._open():
            future = asyncio.get_running_loop().create_future()
            self._waiting.append(future)
            self.waited += 1
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():  # admitted, then cancelled: give the place back
                    self._release()
                raise
        else:
            self.running += 1
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        self.running -= 1
        self._admit()
