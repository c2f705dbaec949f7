"""Structured logs: one line per GraphQL operation (HTTP or websocket) and per
delivery (the relay's batches, the mailer's sends), JSON in production and
readable in development (TASKBOARD_LOG_FORMAT=json|console).

structlog renders every record, the standard library's included: notify/ runs
in the mail Lambda with only the standard library and boto3, so it logs with
`logging` and `extra=` fields, and here those fields become JSON keys like any
other.  A line never carries a token or a password: variables and headers are
never logged, and `_redact` blanks any field whose name says it is a secret.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import structlog
from structlog.types import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "console"]

request_log = logging.getLogger("taskboard.request")
_root = logging.getLogger()

_SECRET_KEYS = re.compile(r"pass(word)?|secret|token|authorization|cookie|credential", re.IGNORECASE)
_BEARER = re.compile(r"(bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_REDACTED = "[redacted]"


# Field names seen, and whether each names a secret (they come from code: a few dozen).
_secret_key: dict[str, bool] = {}


def _is_secret(key: str) -> bool:
    known = _secret_key.get(key)
    if known is None:
        known = key != "event" and _SECRET_KEYS.search(key) is not None
        if len(_secret_key) < 4096:
            _secret_key[key] = known
    return known


def _redact(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Blank the value of any field named like a secret, and bearer tokens in text."""
    for key, value in list(event.items()):
        if _is_secret(key):
            event[key] = _REDACTED
        elif isinstance(value, str) and "bearer" in value.lower():
            event[key] = _BEARER.sub(r"\1" + _REDACTED, value)
    return event


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


class _Handler(logging.StreamHandler):  # type: ignore[type-arg,unused-ignore]
    """Ours, so that configuring again replaces it and leaves other handlers (pytest's) be.
    It writes to whatever sys.stderr is at the time (a test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(fmt: LogFormat, level: int = logging.INFO) -> None:
    """Render every log record of the process as one JSON object a line (`json`)
    or as aligned key=value text (`console`), on stderr.  Idempotent."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.processors.StackInfoRenderer(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    handler = _Handler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    root.addHandler(handler)
    root.setLevel(level)


def formatter(fmt: LogFormat) -> logging.Formatter:
    """The formatter of every line: structlog's events and the standard library's records alike."""
    if fmt == "json":
        return JsonFormatter()
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _drop_message, _redact, _keep,
                    structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())],
    )


# What every LogRecord has of its own: anything else on a record came with `extra=`.
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: `event` (the message), `level`, `logger`, `timestamp`
    (ISO 8601, UTC, `Z`), the record's `extra=` fields, and `exception` / `stack`
    when it has them; secrets redacted.  The keys of structlog's JSON renderer, at
    about a tenth of its cost: the request line runs on every operation (at 235 us a
    line through structlog's chains, measured in process, it was a tenth of a cached
    board read)."""

    def format(self, record: logging.LogRecord) -> str:
        extras = {key: value for key, value in record.__dict__.items() if key not in _RECORD_ATTRS}
        tail: dict[str, Any] = {}
        if record.exc_info:
            tail["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            tail["stack"] = record.stack_info
        return json_line(record.getMessage(), extras, level=record.levelname.lower(), logger=record.name,
                         created=record.created, tail=tail)


def json_line(event: str, fields: Mapping[str, Any], *, level: str, logger: str, created: float,
              tail: Mapping[str, Any] | None = None) -> str:
    """One line of JsonFormatter's, keys in its order (`event`, the fields, `level`,
    `logger`, `timestamp`, then `exception` / `stack`), secrets redacted."""
    out: dict[str, Any] = {"event": event, **fields, "level": level, "logger": logger,
                           "timestamp": _timestamp(created), **(tail or {})}
    _redact(None, "", out)
    try:
        return orjson.dumps(out, default=str).decode()
    except TypeError:  # keys that are not strings: the standard library's encoder copes
        return json.dumps(out, default=str, ensure_ascii=False)


def _drop_message(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    if event.get("message") == event.get("event"):
        del event["message"]  # a standard library record's text, already the event
    return event


def _keep(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    return event  # the console renderer prints exceptions itself


# --- one line per operation ------------------------------------------------------------


@dataclass
class Operation:
    """What the line of one GraphQL operation says; filled in as the request goes."""

    transport: str
    request_id: str
    started: float = field(default_factory=time.monotonic)
    operation: str | None = None
    operation_type: str | None = None
    user_id: str | None = None
    outcome: str = "ok"
    status: int | None = None

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "transport": self.transport, "request_id": self.request_id, "operation": self.operation,
            "operation_type": self.operation_type, "user_id": self.user_id,
            "duration_ms": round((time.monotonic() - self.started) * 1000, 1), "outcome": self.outcome,
        }
        if self.status is not None:
            out["status"] = self.status
        return out


_current: contextvars.ContextVar[Operation | None] = contextvars.ContextVar("taskboard_operation", default=None)


def new_request_id() -> str:
    """32 random hex digits, as uuid4().hex gave, without building a UUID (a quarter of the cost)."""
    return os.urandom(16).hex()


def begin(transport: str, request_id: str | None = None) -> Operation:
    """Start the line of the operation this task serves (tasks it starts share it)."""
    op = Operation(transport, request_id or new_request_id())
    _current.set(op)
    return op


def current() -> Operation | None:
    return _current.get()


def note(**values: Any) -> None:
    """Fill in fields of the current operation's line (no-op outside one)."""
    op = _current.get()
    if op is not None:
        for key, value in values.items():
            setattr(op, key, value)


def outcome_of(errors: Iterable[Mapping[str, Any]] | None) -> str:
    """`ok`, or the contract code of the first error."""
    for error in errors or ():
        code = (error.get("extensions") or {}).get("code")
        return str(code or "INTERNAL_SERVER_ERROR")
    return "ok"


def note_errors(errors: Iterable[Mapping[str, Any]] | None) -> None:
    op = _current.get()
    if op is not None and op.outcome == "ok":
        op.outcome = outcome_of(errors)


def finish(op: Operation) -> None:
    if not request_log.isEnabledFor(logging.INFO):
        return
    handler = _sole_json_handler()
    if handler is not None:
        # As served, the process logs through our one JSON handler: the line goes straight
        # to it, the same JSON JsonFormatter gives, without a LogRecord and the handler
        # chain (they were most of the line's cost, and the line is on every request).
        text = json_line("graphql operation", op.fields(), level="info", logger=request_log.name,
                         created=time.time()) + "\n"
        handler.acquire()
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        finally:
            handler.release()
        return
    # The record made here rather than by `info`, which walks the stack for a caller the
    # line does not show.
    request_log.handle(request_log.makeRecord(request_log.name, logging.INFO, "", 0, "graphql operation", (),
                                              None, extra=op.fields()))


def _sole_json_handler() -> _Handler | None:
    """Our JSON handler when it is the only way out for the request line (no other
    handler, filter or level in between), else None."""
    handlers = _root.handlers
    if len(handlers) != 1 or request_log.handlers or request_log.filters or not request_log.propagate:
        return None
    handler = handlers[0]
    if (type(handler) is not _Handler or type(handler.formatter) is not JsonFormatter or handler.filters
            or handler.level > logging.INFO or _root.filters):
        return None
    return handler


def _timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def refused(transport: str, errors: Iterable[Mapping[str, Any]], **fields: Any) -> None:
    """The line of an operation refused before it ran (outside any operation's task)."""
    op = Operation(transport, new_request_id(), **fields)
    op.outcome = outcome_of(errors)
    finish(op)


async def logged(op_fields: Mapping[str, Any], work: Awaitable[Any]) -> Any:
    """Run `work` (one websocket operation) as an operation with its own line."""
    op = begin("ws")
    note(**op_fields)
    try:
        return await work
    except asyncio.CancelledError:
        raise  # the client completed it, or the socket closed: the outcome stands
    except Exception:
        note_errors([{"extensions": {"code": "INTERNAL_SERVER_ERROR"}}])
        raise
    finally:
        finish(op)
