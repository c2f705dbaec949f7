"""The order keys of the manual order: always one between two, short under use."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import ranks

# Keys as a column accumulates them: a sorted list grown by random inserts.
insert_positions = st.lists(st.floats(min_value=0, max_value=1, allow_nan=False), min_size=1, max_size=200)


def _grow(positions: list[float]) -> list[str]:
    keys: list[str] = []
    for p in positions:
        i = round(p * len(keys))
        lo = keys[i - 1] if i > 0 else None
        hi = keys[i] if i < len(keys) else None
        key = ranks.between(lo, hi)
        keys.insert(i, key)
    return keys


@given(insert_positions)
@settings(max_examples=200, deadline=None)
def test_between_is_strictly_between_and_valid(positions: list[float]) -> None:
    keys = _grow(positions)
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    for k in keys:
        ranks.validate(k)
        assert len(k) <= ranks.RANK_MAX_LENGTH


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_between_two_given_keys(data: st.DataObject) -> None:
    keys = _grow(data.draw(insert_positions))
    if len(keys) < 2:
        return
    i = data.draw(st.integers(0, len(keys) - 2))
    lo, hi = keys[i], keys[i + 1]
    mid = ranks.between(lo, hi)
    assert lo < mid < hi
    assert ranks.between(None, lo) < lo
    assert ranks.between(hi, None) > hi


def test_appending_keeps_keys_short() -> None:
    keys = ranks.sequence(10_000)
    assert keys == sorted(keys)
    assert max(len(k) for k in keys) <= 4


def test_typical_use_keeps_keys_short() -> None:
    # A column of 200 tasks, then 2,000 drags to random places.
    rnd = random.Random(7)
    keys = ranks.sequence(200)
    for _ in range(2_000):
        keys.pop(rnd.randrange(len(keys)))
        i = rnd.randrange(len(keys) + 1)
        keys.insert(i, ranks.between(keys[i - 1] if i else None, keys[i] if i < len(keys) else None))
    assert keys == sorted(keys)
    assert max(len(k) for k in keys) <= 8


def test_the_same_gap_again_and_again_grows_slowly_and_asks_for_a_rebalance() -> None:
    lo, hi = "a0", "a1"
    drops = 0
    while not ranks.needs_rebalance(hi) and drops < 1_000:
        hi = ranks.between(lo, hi)
        assert lo < hi
        drops += 1
    # About 6 halvings a character: hundreds of drops into one gap before a rebalance.
    assert 200 < drops < 1_000
    assert len(hi) <= ranks.RANK_MAX_LENGTH


@pytest.mark.parametrize("a,b", [("a1", "a1"), ("a2", "a1"), ("a2V", "a2")])
def test_no_key_between_equal_or_reversed_bounds(a: str, b: str) -> None:
    with pytest.raises(ranks.RankError):
        ranks.between(a, b)


@pytest.mark.parametrize("bad", ["", "a", "a00", "a1 ", "!x", "a0" + "0"])
def test_invalid_keys_are_refused(bad: str) -> None:
    with pytest.raises(ranks.RankError):
        ranks.validate(bad)
