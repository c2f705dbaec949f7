"""ResponseCache.clear (a person's name changed): nothing read before it is kept."""

from __future__ import annotations

import asyncio
from typing import Any

from taskboard.cache import ResponseCache


def _cache() -> ResponseCache:
    def no_reader() -> Any:
        raise AssertionError("not read")

    return ResponseCache(no_reader, max_bytes=1 << 20, max_entry_bytes=1 << 16)


async def test_clear_forgets_stored_responses() -> None:
    cache = _cache()
    cache.put(("k",), b"old")
    cache.clear()
    assert cache.get(("k",)) is None and cache.size_bytes == 0


async def test_a_computation_begun_before_clear_is_not_stored() -> None:
    cache = _cache()
    release = asyncio.Event()

    async def compute() -> bytes:
        await release.wait()
        return b"read with the old name"

    flight = asyncio.create_task(cache.flight(("k",), compute))
    await asyncio.sleep(0)
    cache.clear()
    release.set()
    assert await flight == (b"read with the old name", False)  # its own caller still gets it
    assert cache.get(("k",)) is None
