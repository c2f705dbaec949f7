"""A small per-request batch loader (the DataLoader pattern) with no framework
dependency: every `load` issued in one event-loop tick becomes one query."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Batches in flight, for every loader: a reference, or a task may be collected
# mid-flight.  One set for the process rather than one per loader (an empty set is
# 216 bytes, and every live subscription keeps its context's five loaders).
_RUNNING: set[asyncio.Task[None]] = set()


class BatchLoader(Generic[K, V]):
    def __init__(self, fetch: Callable[[list[K]], Awaitable[dict[K, V]]]) -> None:
        self._fetch = fetch
        self._cache: dict[K, asyncio.Future[V | None]] = {}
        self._queue: list[K] = []

    def prime(self, key: K, value: V) -> None:
        if key not in self._cache:
            fut: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
            fut.set_result(value)
            self._cache[key] = fut

    def load(self, key: K) -> asyncio.Future[V | None]:
        fut = self._cache.get(key)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._cache[key] = fut
            if not self._queue:
                asyncio.get_running_loop().call_soon(self._dispatch)
            self._queue.append(key)
        # Shielded: the future is shared by every resolver that loads this key, and
        # graphql-core cancels a field's siblings when a non-null error bubbles up;
        # a cancelled waiter must not cancel the shared future under the others.
        return asyncio.shield(fut)

    async def load_many(self, keys: Iterable[K]) -> list[V | None]:
        return list(await asyncio.gather(*(self.load(k) for k in keys)))

    def _dispatch(self) -> None:
        keys, self._queue = self._queue, []
        task = asyncio.ensure_future(self._run(keys))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)

    async def _run(self, keys: list[K]) -> None:
        try:
            found = await self._fetch(keys)
        except Exception as exc:
            for k in keys:
                fut = self._cache.pop(k)
                if not fut.done():
                    fut.set_exception(exc)
            return
        for k in keys:
            fut = self._cache[k]
            if not fut.done():
                fut.set_result(found.get(k))
