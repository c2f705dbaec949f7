"""Opaque cursors.  A cursor remembers the ordering it came from, so one used
with another ordering is refused instead of silently skipping rows."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from models.errors import bad_input


def encode_cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(parts))).decode().rstrip("=")


def decode_cursor(cursor: str, expect_len: int, tag: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise bad_input("Invalid cursor", "after") from None
    if not isinstance(parts, list) or len(parts) != expect_len or parts[0] != tag:
        raise bad_input("The cursor does not belong to this ordering", "after")
    return parts
