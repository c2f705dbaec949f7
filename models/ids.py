"""Opaque, globally unique identifiers.

Every object gets a string id `<prefix>_<26 chars>`: a 48-bit millisecond
timestamp and 80 random bits in Crockford base32 (ULID layout), so ids sort
roughly by creation time (B-tree friendly on MySQL) and the prefix lets
`node(id)` find the table without a lookup.  Clients never parse them.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"

PREFIXES = {"usr": "User", "brd": "Board", "tsk": "Task", "lbl": "Label", "cmt": "Comment",
            "inv": "BoardInvitation"}


def _encode(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out))


def new_id(prefix: str) -> str:
    assert prefix in PREFIXES
    raw = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return f"{prefix}_{_encode(raw, 26)}"


def kind_of(object_id: str) -> str | None:
    """The GraphQL type an id names, or None for anything that is not one of ours."""
    prefix, sep, rest = object_id.partition("_")
    if not sep or len(rest) != 26 or any(c not in _ALPHABET for c in rest):
        return None
    return PREFIXES.get(prefix)
