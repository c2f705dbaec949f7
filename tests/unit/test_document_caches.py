"""The memory the document and response caches hold stays within their byte
budgets, whatever anonymous callers send: measured with tracemalloc, not only by
the caches' own count."""

from __future__ import annotations

import gc
import random
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from schema.execution import Prepared
from taskboard.cache import ResponseCache
from tests.unit.test_query_cost import operations

MiB = 1024 * 1024


@contextmanager
def held() -> Iterator[Callable[[], int]]:
    """The bytes allocated since entry and still alive."""
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    try:
        yield lambda: (gc.collect(), tracemalloc.get_traced_memory()[0] - start)[1]
    finally:
        tracemalloc.stop()


def valid_document(i: int, width: int) -> str:
    """A distinct valid document of about `width` fields' text."""
    fields = " ".join(f"f{i}_{j}: id" for j in range(width))
    return f"query Q{i} {{ viewer {{ user {{ {fields} }} }} }}"


def test_invalid_documents_are_not_cached() -> None:
    ops = operations()
    for i in range(600):
        for refused in (f"{{ nope{i} }}", "{ viewer { user { id } } ", f"query Q{i} {{ boards(x: 1) {{ id }} }}"):
            assert isinstance(ops.prepare(refused, None), list)
    assert len(ops._documents) == 0
    assert ops.cached_bytes == 0
    # a valid one is, and is served from the cache the second time
    query = "{ viewer { user { id } } }"
    first = ops.prepare(query, None)
    assert isinstance(first, Prepared) and len(ops._documents) == 1
    again = ops.prepare(query, None)
    assert isinstance(again, Prepared) and again.document is first.document


def test_a_document_over_the_per_document_size_is_served_but_not_kept() -> None:
    ops = operations(cache_document_chars=200)
    big = valid_document(1, 25)  # 25 aliases
    assert len(big) > 200
    assert isinstance(ops.prepare(big, None), Prepared)
    assert len(ops._documents) == 0 and ops.cached_bytes == 0


def test_the_document_cache_stays_within_its_byte_budget() -> None:
    budget = 1 * MiB  # ~40 documents of ~270 characters
    ops = operations(cache_bytes=budget)
    rng = random.Random(13)
    with held() as alive:
        for i in range(400):
            assert isinstance(ops.prepare(valid_document(i, rng.randint(1, 29)), None), Prepared)
            assert ops.cached_bytes <= budget
        measured = alive()
    assert 0 < len(ops._documents) < 400
    # the estimate (100 bytes a character) holds what the parsed documents really take
    assert measured <= budget * 1.25, f"the cache holds {measured / MiB:.1f} MiB for a {budget / MiB:.0f} MiB budget"


def test_the_response_cache_stays_within_its_byte_budget() -> None:
    budget = 4 * MiB
    cache = ResponseCache(lambda: None, max_bytes=budget, max_entry_bytes=256 * 1024)  # type: ignore[arg-type, return-value]
    rng = random.Random(8)
    with held() as alive:
        for i in range(20_000):
            # distinct documents (each request's text is its own str) and bodies of any size
            query = f"query Q{i} {{ board(id: $b) {{ " + "id " * rng.randint(1, 4000) + "} }"
            body = b"x" * rng.choice((10, 200, 5_000, 100_000, 300_000))
            key = ("usr_1", f"brd_{i % 50}", i, query, None, b'{"b":"brd_%d"}' % (i % 50))
            cache.put(key, body)
            assert cache.size_bytes <= budget
        measured = alive()
    assert measured <= budget * 1.25, f"the cache holds {measured / MiB:.1f} MiB for a {budget / MiB:.0f} MiB budget"
    # least recently used out first: the oldest entry, once read, outlives the next one
    oldest, second = list(cache._entries)[:2]
    assert cache.get(oldest) is not None
    for i in range(100):
        if second not in cache._entries:
            break
        cache.put(("usr_2", "brd", i, "q", None, b""), b"y" * 100_000)
    assert second not in cache._entries and cache.get(oldest) is not None
    # a response over the per-entry size is not kept
    cache.put(("usr_3", "brd", 1, "q", None, b""), b"z" * 300_000)
    assert cache.get(("usr_3", "brd", 1, "q", None, b"")) is None
