"""The contract's scalars."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any, NewType

import strawberry

from models.events import iso
from schema.internals import ScalarDefinition


def _serialize_datetime(value: datetime) -> str:
    return iso(value.astimezone(UTC))


def parse_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be a string")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("DateTime needs a time zone")
    return parsed.astimezone(UTC)


# Exactly the contract's form: `date.fromisoformat` also takes 2026-W49-4,
# 20261203 and non-ASCII digits since Python 3.11.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _parse_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("Date must be YYYY-MM-DD, e.g. 2023-06-22")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Date must be YYYY-MM-DD and a real calendar date; {value} is not") from None


DateTime = NewType("DateTime", datetime)
Date = NewType("Date", date)
JSON = NewType("JSON", object)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description="ISO-8601 date-time in UTC with milliseconds, e.g. 2023-06-23T07:34:16.948Z",
        serialize=_serialize_datetime,
        parse_value=parse_datetime,
    ),
    Date: strawberry.scalar(
        name="Date",
        description="ISO-8601 calendar date, e.g. 2023-06-22",
        serialize=lambda v: v.isoformat(),
        parse_value=_parse_date,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Arbitrary JSON value",
        serialize=lambda v: v,
        parse_value=lambda v: v,
    ),
}
