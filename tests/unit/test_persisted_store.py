"""schema.persisted.PersistedStore: bounded in process, shared through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from schema.persisted import ENTRY_OVERHEAD_BYTES, REDIS_PREFIX, PersistedStore, Resolved, sha256_hex
from tests.conftest import REDIS_URL, REQUIRE_REDIS


def apq(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(document)}}


def unique(text: str = "{ viewer { user { id } } }") -> str:
    return f"{text} # {uuid.uuid4().hex}"


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    if not REDIS_URL:
        if REQUIRE_REDIS:
            pytest.fail("TASKBOARD_TEST_REQUIRE_REDIS=1 but TASKBOARD_TEST_REDIS_URL is not set")
        pytest.skip("TASKBOARD_TEST_REDIS_URL not set")
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


def store(**kw: Any) -> PersistedStore:
    return PersistedStore(**{"max_bytes": 1 << 20, "max_document_chars": 16 * 1024, **kw})


async def test_in_process_the_store_is_bounded_by_bytes() -> None:
    documents = [unique() for _ in range(5)]
    each = len(documents[0]) + ENTRY_OVERHEAD_BYTES
    small = store(max_bytes=3 * each)
    for document in documents:
        found = await small.resolve(document, apq(document))
        assert isinstance(found, Resolved) and found.register
        await small.register(found)
    assert small.cached_bytes == 3 * each
    # the two least recently used are gone: their hashes must be sent with the document again
    for document, known in zip(documents, [False, False, True, True, True], strict=True):
        found = await small.resolve(None, apq(document))
        assert isinstance(found, Resolved) is known


async def test_a_long_document_is_run_but_not_remembered() -> None:
    short = store(max_document_chars=40)
    document = unique("{ viewer { user { id email name createdAt } } }")
    found = await short.resolve(document, apq(document))
    assert isinstance(found, Resolved)
    await short.register(found)
    assert short.cached_bytes == 0


async def test_instances_share_what_one_of_them_learnt_through_redis(redis: Any) -> None:
    one, two = store(redis=redis), store(redis=redis)
    document = unique()
    assert isinstance(await two.resolve(None, apq(document)), list)
    found = await one.resolve(document, apq(document))
    assert isinstance(found, Resolved)
    await one.register(found)
    assert 0 < await redis.ttl(REDIS_PREFIX + sha256_hex(document)) <= 7 * 86400
    shared = await two.resolve(None, apq(document))
    assert isinstance(shared, Resolved) and shared.query == document and not shared.register
    assert two.cached_bytes > 0  # and kept in process from now on


async def test_what_redis_holds_under_a_hash_runs_only_if_it_is_that_hash(redis: Any) -> None:
    document = unique()
    await redis.set(REDIS_PREFIX + sha256_hex(document), "{ __typename }")
    assert isinstance(await store(redis=redis).resolve(None, apq(document)), list)


async def test_redis_away_is_a_miss_not_an_error() -> None:
    class Down:
        async def get(self, *_: Any) -> Any:
            raise ConnectionError("down")

        async def set(self, *_: Any, **__: Any) -> Any:
            raise ConnectionError("down")

    down = store(redis=Down())
    document = unique()
    [error] = await down.resolve(None, apq(document))  # type: ignore[misc]
    assert error.extensions == {"code": "PERSISTED_QUERY_NOT_FOUND"}
    found = await down.resolve(document, apq(document))
    assert isinstance(found, Resolved)
    await down.register(found)
    assert isinstance(await down.resolve(None, apq(document)), Resolved)  # in process still
