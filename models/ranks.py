"""Fractional order keys for the board's manual order (`Task.rank`).

A key sorts bytewise, and between any two keys there is always another, so a move
writes one row: the key between its new neighbours.  The scheme is the one of
David Greenspan's "fractional indexing" (as Figma and LexoRank-style boards use):
a key is an integer part whose first character says its length (`a0`..`az`,
then `b10`..), then an optional fraction that never ends in the smallest digit.
Appending at the end increments the integer part, so a column of n tasks built
by appends has keys of about log62(n) + 2 characters; only repeated inserts into
the same gap grow the fraction, one character per ~6 halvings.

Pure functions, standard library only (the migration that gives existing tasks
their keys imports it)."""

from __future__ import annotations

DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(DIGITS)}
_ZERO = DIGITS[0]
_SMALLEST_INTEGER = "A" + _ZERO * 26

# The first key of an empty column (and the column default of a row written without one).
RANK_DEFAULT = "a0"
# The column's width; `needs_rebalance` asks for new keys well before it.
RANK_MAX_LENGTH = 64
REBALANCE_LENGTH = 48


class RankError(ValueError):
    """Not a key, or no key fits (the bounds are equal or out of order)."""


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise RankError(f"invalid key head {head!r}")


def _integer_part(key: str) -> str:
    n = _integer_length(key[0])
    if n > len(key):
        raise RankError(f"invalid key {key!r}")
    return key[:n]


def validate(key: str) -> None:
    if not key or key == _SMALLEST_INTEGER or any(c not in _INDEX for c in key):
        raise RankError(f"invalid key {key!r}")
    fraction = key[len(_integer_part(key)):]
    if fraction.endswith(_ZERO):
        raise RankError(f"invalid key {key!r}")


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between fractions `a` and `b` (None: 1)."""
    if b is not None:
        n = 0
        while (a[n] if n < len(a) else _ZERO) == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = _INDEX[a[0]] if a else 0
    digit_b = _INDEX[b[0]] if b is not None else len(DIGITS)
    if digit_b - digit_a > 1:
        return DIGITS[(digit_a + digit_b + 1) // 2]
    if b is not None and len(b) > 1:
        return b[0]
    return DIGITS[digit_a] + _midpoint(a[1:], None)


def _increment(x: str) -> str | None:
    head, digits = x[0], list(x[1:])
    for i in range(len(digits) - 1, -1, -1):
        d = _INDEX[digits[i]] + 1
        if d < len(DIGITS):
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = _ZERO
    if head == "Z":
        return "a" + _ZERO
    if head == "z":
        return None
    new_head = chr(ord(head) + 1)
    if new_head > "a":
        digits.append(_ZERO)
    else:
        digits.pop()
    return new_head + "".join(digits)


def _decrement(x: str) -> str | None:
    head, digits = x[0], list(x[1:])
    for i in range(len(digits) - 1, -1, -1):
        d = _INDEX[digits[i]] - 1
        if d >= 0:
            digits[i] = DIGITS[d]
            return head + "".join(digits)
        digits[i] = DIGITS[-1]
    if head == "a":
        return "Z" + DIGITS[-1]
    if head == "A":
        return None
    new_head = chr(ord(head) - 1)
    if new_head < "Z":
        digits.append(DIGITS[-1])
    else:
        digits.pop()
    return new_head + "".join(digits)


def between(a: str | None, b: str | None) -> str:
    """A key strictly between `a` and `b`; None is the open end (first, last)."""
    if a is not None:
        validate(a)
    if b is not None:
        validate(b)
    if a is not None and b is not None and a >= b:
        raise RankError(f"no key between {a!r} and {b!r}")
    if a is None:
        if b is None:
            return RANK_DEFAULT
        ib = _integer_part(b)
        if ib == _SMALLEST_INTEGER:
            return ib + _midpoint("", b[len(ib):])
        if ib < b:
            return ib
        lower = _decrement(ib)
        if lower is None:
            raise RankError("no key before the smallest one")
        return lower
    ia = _integer_part(a)
    fa = a[len(ia):]
    if b is None:
        higher = _increment(ia)
        return ia + _midpoint(fa, None) if higher is None else higher
    ib = _integer_part(b)
    if ia == ib:
        return ia + _midpoint(fa, b[len(ib):])
    higher = _increment(ia)
    if higher is not None and higher < b:
        return higher
    return ia + _midpoint(fa, None)


def sequence(n: int, after: str | None = None) -> list[str]:
    """`n` keys in order, each appended after the one before (after `after`)."""
    out: list[str] = []
    for _ in range(n):
        after = between(after, None)
        out.append(after)
    return out


def needs_rebalance(key: str) -> bool:
    return len(key) > REBALANCE_LENGTH
