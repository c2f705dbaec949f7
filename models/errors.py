"""The error codes of the contract.  Every error a client sees carries one."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ApiError(Exception):
    """An expected failure whose message is safe to show a client."""

    def __init__(self, code: ErrorCode, message: str, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions: dict[str, object] = {"code": code.value, **extra}


def not_found(what: str = "Not found") -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, what)


def bad_input(message: str, field: str | None = None) -> ApiError:
    return ApiError(ErrorCode.BAD_USER_INPUT, message, **({"field": field} if field else {}))


def rate_limited(what: str, retry_after: int) -> ApiError:
    """`what` happened too often, and how long the wait is, in words a person reads
    (the seconds in `extensions.retryAfterSeconds` for clients to count down)."""
    minutes = -(-retry_after // 60)
    if minutes <= 1:
        wait = "a minute"
    elif minutes < 90:
        wait = f"{minutes} minutes"
    else:
        wait = f"{-(-minutes // 60)} hours"
    return ApiError(ErrorCode.RATE_LIMITED, f"{what}. Try again in {wait}.", retryAfterSeconds=retry_after)
