"""Failed-login throttling: per email and per client address, in-process or in
Redis (shared by every instance).

An attempt takes its place in the count before the password is looked at
(`hit`), atomically over all its keys, and gives it back if the password was
right (`undo`): checking first and counting after the ~100 ms of argon2 let a
burst of parallel guesses all pass the check."""

from __future__ import annotations

import math
import time
from collections import deque
from typing import Any, Protocol


class FailureLimiter(Protocol):
    async def hit(self, keys: list[str]) -> int | None:
        """Count an attempt against every key; None if each is within its limit,
        else (counting nothing) the seconds until the attempt would be allowed."""

    async def undo(self, keys: list[str]) -> None:
        """Give back the attempt `hit` counted."""

    async def reset(self, key: str) -> None: ...


def _seconds(remaining: float) -> int:
    return max(1, math.ceil(remaining))


class MemoryLimiter:
    """Sliding windows; one event loop, so a `hit` without an await is atomic."""

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

    async def hit(self, keys: list[str]) -> int | None:
        now = time.monotonic()
        wait = 0.0
        for k in keys:
            hits, limit = self._recent(k, now), self._limit(k)
            if len(hits) >= limit:
                # Allowed again once enough of the oldest have left the window.
                wait = max(wait, hits[len(hits) - limit] + self._window - now)
        if wait > 0:
            return _seconds(wait)
        if len(self._hits) > 100_000:  # bound memory under a spray of addresses
            for k in list(self._hits)[:10_000]:
                self._hits.pop(k, None)
        for k in keys:
            self._hits.setdefault(k, deque()).append(now)
        return None

    async def undo(self, keys: list[str]) -> None:
        for k in keys:
            hits = self._hits.get(k)
            if hits:
                hits.pop()
                if not hits:
                    del self._hits[k]

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)


# KEYS: the counters; ARGV: window seconds, then each key's limit.  Counts only
# when every key is within its limit, so one refused attempt never extends
# another key's block; answers the longest remaining window (ms) otherwise.
_HIT = """
local wait = 0
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[i + 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[1]) * 1000 end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 0
"""

# Only counters that still exist: a DECR on an expired one would leave a -1 forever.
_UNDO = """
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end
return 0
"""


class RedisLimiter:
    """Fixed windows in Redis, checked and counted in one script, so every
    instance sees the same count and no two attempts take the same place."""

    def __init__(self, redis: Any, *, limits: dict[str, int], window: float, prefix: str = "tb:rl:") -> None:
        self._redis = redis
        self._limits = limits
        self._window = int(window)
        self._prefix = prefix
        self._hit = redis.register_script(_HIT)
        self._undo = redis.register_script(_UNDO)

    async def hit(self, keys: list[str]) -> int | None:
        limits = [self._limits[k.split(":", 1)[0]] for k in keys]
        wait_ms = int(await self._hit(keys=[self._prefix + k for k in keys], args=[self._window, *limits]))
        return _seconds(wait_ms / 1000) if wait_ms > 0 else None

    async def undo(self, keys: list[str]) -> None:
        await self._undo(keys=[self._prefix + k for k in keys])

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)
