"""Failed-login throttling: per email and per client address, in-process or in
Redis (shared by every instance)."""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Protocol


class FailureLimiter(Protocol):
    async def blocked(self, keys: list[str]) -> bool: ...
    async def record_failure(self, keys: list[str]) -> None: ...
    async def reset(self, key: str) -> None: ...


class MemoryLimiter:
    def __init__(self, *, limits: dict[str, int], window: float) -> None:
        self._limits = limits  # key prefix -> failures allowed in the window
        self._window = window
        self._hits: dict[str, deque[float]] = {}

    def _limit(self, key: str) -> int:
        return self._limits[key.split(":", 1)[0]]

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    async def blocked(self, keys: list[str]) -> bool:
        now = time.monotonic()
        return any(len(self._recent(k, now)) >= self._limit(k) for k in keys)

    async def record_failure(self, keys: list[str]) -> None:
        now = time.monotonic()
        if len(self._hits) > 100_000:  # bound memory under a spray of addresses
            for k in list(self._hits)[:10_000]:
                self._hits.pop(k, None)
        for k in keys:
            self._recent(k, now)
            self._hits.setdefault(k, deque()).append(now)

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)


class RedisLimiter:
    """Fixed windows in Redis: INCR + EXPIRE, so every instance sees the same count."""

    def __init__(self, redis: Any, *, limits: dict[str, int], window: float, prefix: str = "tb:rl:") -> None:
        self._redis = redis
        self._limits = limits
        self._window = int(window)
        self._prefix = prefix

    async def blocked(self, keys: list[str]) -> bool:
        values = await self._redis.mget([self._prefix + k for k in keys])
        return any(
            v is not None and int(v) >= self._limits[k.split(":", 1)[0]] for k, v in zip(keys, values, strict=True)
        )

    async def record_failure(self, keys: list[str]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for k in keys:
            pipe.incr(self._prefix + k)
            pipe.expire(self._prefix + k, self._window, nx=True)
        await pipe.execute()

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)
