"""Input rules shared by the operations."""

from __future__ import annotations

import re
import unicodedata

from auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from models.errors import bad_input

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")

MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_NAME = 200


# Control characters, invisible format characters (zero-width spaces, byte-order
# marks) and line/paragraph separators: checked before `strip`, which would
# quietly drop some of them, since an address holding one is never what was meant.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _has_invisible(value: str) -> bool:
    return not value.isprintable() and any(unicodedata.category(c) in _INVISIBLE for c in value)


def email(value: str) -> str:
    if _has_invisible(value):
        raise bad_input("Enter a valid email address", "email")
    v = value.strip().lower()
    if len(v) > 254 or not _EMAIL.match(v):
        raise bad_input("Enter a valid email address", "email")
    return v


def password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise bad_input(f"Passwords have at least {MIN_PASSWORD_LENGTH} characters", "password")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise bad_input(f"Passwords have at most {MAX_PASSWORD_LENGTH} characters", "password")
    return value


def text(value: str, field: str, *, max_len: int, required: bool = True) -> str:
    v = value.strip()
    if required and not v:
        raise bad_input(f"`{field}` must not be empty", field)
    if len(v) > max_len:
        raise bad_input(f"`{field}` has at most {max_len} characters", field)
    if "\x00" in v:
        raise bad_input(f"`{field}` contains a NUL character", field)
    return v


def phone(value: str) -> str:
    v = value.strip().replace(" ", "").replace("-", "")
    if not _PHONE.match(v):
        raise bad_input("Phone numbers are E.164, e.g. +821012345678", "phoneNumber")
    return v
