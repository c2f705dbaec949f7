"""Input rules shared by the operations."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from models.errors import bad_input

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True, slots=True)
class TextRule:
    """One text input, and the one home of its limit: the checks here and the
    `limits` query (which the web board's fields take their lengths from) read it.
    `thing` and `blank` are what a person reads; `field` is what a client's form
    keys on (`extensions.field`)."""

    field: str
    max_len: int
    thing: str
    blank: str | None = None  # the sentence when nothing visible is given; None: may be empty


TASK_TITLE = TextRule("title", 200, "A task's title", "Give the task a title.")
TASK_DESCRIPTION = TextRule("description", 20_000, "A task's description")
BOARD_NAME = TextRule("name", 200, "A board's name", "Give the board a name.")
PERSON_NAME = TextRule("name", 200, "A name", "Enter your name.")
LABEL_NAME = TextRule("name", 50, "A label's name", "Give the label a name.")
COMMENT_BODY = TextRule("body", 10_000, "A comment", "Write something to comment.")
MAX_SEARCH = 200


# Control characters, invisible format characters (zero-width spaces, byte-order
# marks) and line/paragraph separators: checked before `strip`, which would
# quietly drop some of them, since an address holding one is never what was meant.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


def _has_invisible(value: str) -> bool:
    return not value.isprintable() and any(unicodedata.category(c) in _INVISIBLE for c in value)


def email(value: str) -> str:
    if _has_invisible(value):
        raise bad_input("Enter a valid email address.", "email")
    v = value.strip().lower()
    if len(v) > 254 or not _EMAIL.match(v):
        raise bad_input("Enter a valid email address.", "email")
    return v


def password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise bad_input(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", "password")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise bad_input(f"A password can be at most {MAX_PASSWORD_LENGTH:,} characters long.", "password")
    return value


def _blank(value: str) -> bool:
    """Nothing a person would see: spaces of any kind, or characters that show as
    nothing (zero-width spaces, byte-order marks)."""
    return all(c.isspace() or unicodedata.category(c) == "Cf" for c in value)


def text(value: str, rule: TextRule) -> str:
    v = value.strip()
    if _blank(v):
        if rule.blank is not None:
            raise bad_input(rule.blank, rule.field)
        v = ""
    if len(v) > rule.max_len:
        raise bad_input(f"{rule.thing} can be at most {rule.max_len:,} characters long.", rule.field)
    if "\x00" in v:
        raise bad_input(f"{rule.thing} cannot hold a NUL character.", rule.field)
    return v


def not_null(value: object, field: str, what: str) -> None:
    """Inputs a client may leave out but may not clear."""
    if value is None:
        raise bad_input(f"{what} cannot be removed.", field)


def phone(value: str) -> str:
    v = value.strip().replace(" ", "").replace("-", "")
    if not _PHONE.match(v):
        raise bad_input("Enter the phone number with its country code, e.g. +821012345678.", "phoneNumber")
    return v
