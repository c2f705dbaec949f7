"""Structured logs (issue 14 item 7): one JSON line per GraphQL operation, over
HTTP and over the websocket, with its request id, operation, user, duration and
outcome; never a password or a token in any line."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from taskboard import logs
from tests.conftest import Api, test_settings


class Lines(logging.Handler):
    """Every record of the process, rendered by the service's own formatter."""

    def __init__(self, fmt: logs.LogFormat = "json") -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logs.formatter(fmt))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def operations(self) -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in self.lines]
        return [p for p in parsed if p.get("event") == "graphql operation"]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # everything anyone logs, debug included, for the secrets check
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


ME = "query Me { viewer { user { id email } } }"
LOGIN = "mutation LogIn($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }"


async def test_one_json_line_per_http_operation(api: Api, lines: Lines) -> None:
    user = await api.signup("Logger")
    lines.lines.clear()
    response = await api.client.post("/graphql", json={"query": ME, "operationName": "Me"},
                                      headers={"authorization": f"Bearer {user['token']}", "x-request-id": "req-42"})
    assert response.status_code == 200
    [line] = lines.operations()
    assert line["transport"] == "http" and line["request_id"] == "req-42" == response.headers["x-request-id"]
    assert line["operation"] == "Me" and line["operation_type"] == "query"
    assert line["user_id"] == user["id"]
    assert line["outcome"] == "ok" and line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "info" and line["timestamp"].endswith("Z")


async def test_the_outcome_is_the_error_code(api: Api, lines: Lines) -> None:
    await api.client.post("/graphql", json={"query": ME}, headers={"authorization": "Bearer not-a-token"})
    await api.client.post("/graphql", json={"query": "{ nope }"})
    bad_token, bad_document = lines.operations()
    assert bad_token["outcome"] == "UNAUTHENTICATED" and bad_token["status"] == 401
    assert bad_document["outcome"] == "GRAPHQL_VALIDATION_FAILED" or bad_document["outcome"] == "BAD_USER_INPUT"
    assert bad_document["status"] == 400


async def test_no_password_or_token_in_any_line(api: Api, lines: Lines) -> None:
    user = await api.signup("Secretive")
    password = "password-123"  # what Api.signup signs up with
    body = await api.ok(LOGIN, {"e": user["email"], "p": password})
    token = body["login"]["accessToken"]
    await api.ok(ME, token=token)
    await api.gql(LOGIN, {"e": user["email"], "p": "wrong-" + password})
    # A secret in a field of someone's log call, and a bearer header quoted in a message:
    logging.getLogger("taskboard.test").info("got %s", f"Authorization: Bearer {token}",
                                             extra={"password": password, "refresh_token": token})
    assert lines.operations(), "no operation was logged"
    text = "\n".join(lines.lines)
    for secret in (password, token, body["login"]["refreshToken"], user["token"]):
        assert secret not in text


def test_console_lines_read_as_text() -> None:
    record = logging.LogRecord("taskboard.request", logging.INFO, __file__, 1, "graphql operation", None, None)
    record.operation = "Me"
    line = logs.formatter("console").format(record)
    assert "graphql operation" in line and "operation=Me" in line.replace("'", "")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


async def test_one_json_line_per_websocket_operation(database_url: str, lines: Lines) -> None:
    from tests.live.conftest import serve

    async with serve(test_settings(database_url)) as live:
        user = await live.api.signup("Socket")
        lines.lines.clear()
        ws = await live.socket(user["token"])
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": ME, "operationName": "Me"}}))
        replies = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        assert [r["type"] for r in replies] == ["next", "complete"]
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": "{ nope }"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "error"
        for _ in range(50):
            if len(lines.operations()) >= 2:
                break
            await asyncio.sleep(0.02)
        await live.close_sockets()
    [line, refused] = [op for op in lines.operations() if op["transport"] == "ws"]
    assert line["operation"] == "Me" and line["operation_type"] == "query"
    assert line["user_id"] == user["id"] and line["outcome"] == "ok" and line["request_id"]
    # A document refused before it runs has its line too.
    assert refused["user_id"] == user["id"] and refused["outcome"] in ("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")


def test_json_lines_carry_extras_exceptions_and_redact() -> None:
    """The JSON formatter (taskboard.logs.JsonFormatter) keeps what structlog's renderer
    wrote: the message as `event`, `extra=` fields, the traceback as `exception`; and it
    blanks secrets by field name and bearer tokens in text."""
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("taskboard.x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    record.__dict__.update(board="brd_1", refresh_token="r-secret", note="sent Bearer abc.def.ghi to them",
                           mapping={1: "non-string key"})
    line = json.loads(logs.formatter("json").format(record))
    assert line["event"] == "failed here" and line["level"] == "error" and line["logger"] == "taskboard.x"
    assert line["board"] == "brd_1" and line["refresh_token"] == "[redacted]"
    assert line["note"] == "sent Bearer [redacted] to them"
    assert line["mapping"] == {"1": "non-string key"}
    assert "ValueError: boom" in line["exception"] and line["timestamp"].endswith("Z")


def test_the_served_request_line_equals_the_formatters(capsys: pytest.CaptureFixture[str]) -> None:
    """As served (our JSON handler alone on the root logger), the request line skips the
    logging machinery (logs.finish): it must be the line JsonFormatter would write."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        logs.configure("json")
        root.handlers = [h for h in root.handlers if type(h) is logs._Handler]
        assert logs._sole_json_handler() is not None, "the direct path is what this test is about"
        capsys.readouterr()
        op = logs.Operation("http", "req-1", operation="Board", operation_type="query", user_id="usr_1",
                            outcome="ok", status=200)
        op.request_id = "sent Bearer abc.def to them"  # a client's header: redacted like any text
        logs.finish(op)
        direct = json.loads(capsys.readouterr().err)
        record = logging.LogRecord("taskboard.request", logging.INFO, "", 0, "graphql operation", (), None)
        record.__dict__.update(op.fields())
        formatted = json.loads(logs.formatter("json").format(record))
    finally:
        root.handlers, root.level = saved, level
    assert direct.pop("timestamp").endswith("Z") and formatted.pop("timestamp").endswith("Z")
    direct.pop("duration_ms"), formatted.pop("duration_ms")
    assert list(direct) == list(formatted) and direct == formatted
    assert direct["request_id"] == "sent Bearer [redacted] to them"
