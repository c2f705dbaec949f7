"""One trace from a change to its mail (issue 14 item 8): `taskboard serve` with
TASKBOARD_TRACING=otlp sends its spans over OTLP/HTTP to a receiver in this test,
and the spans of an `updateTask`, the relay's delivery of its event and the mail
worker's send share one trace id.  The server is a real process with its
embedded AWS (moto), the inline relay and the mail worker: development's defaults."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.cli.test_cli import verify_from_mail_page
from tests.conftest import TEST_SECRET, Api
from tests.servers import stop, wait_ready

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


class Receiver:
    """An OTLP/HTTP trace receiver: `POST /v1/traces` with a protobuf body."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path != "/v1/traces" or self.headers.get("content-type") != "application/x-protobuf":
                    self.send_error(404)
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.add(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, request: ExportTraceServiceRequest) -> None:
        spans = []
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for s in scope.spans:
                    attributes = {a.key: getattr(a.value, a.value.WhichOneof("value") or "string_value")
                                  for a in s.attributes}
                    spans.append(Span(s.name, s.trace_id.hex(), s.span_id.hex(), s.parent_span_id.hex(), attributes))
        with self.lock:
            self.spans.extend(spans)

    def named(self, prefix: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.name.startswith(prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


UPDATE = "mutation Finish($t: ID!) { updateTask(id: $t, input: {status: DONE}) { version } }"


async def test_one_trace_spans_update_task_its_delivery_and_its_mail(tmp_path: Path, receiver: Receiver) -> None:
    port = free_port()
    database_url = "sqlite+aiosqlite:///" + str(tmp_path / "taskboard.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKBOARD_", "AWS_", "OTEL_"))}
    env.update({
        "TASKBOARD_ENV": "development", "TASKBOARD_LOG_FORMAT": "json", "TASKBOARD_AWS": "local", "TASKBOARD_NOTIFY_WORKER": "true",
        "TASKBOARD_RELAY_MODE": "inline", "TASKBOARD_JWT_SECRET": TEST_SECRET,
        "TASKBOARD_DATABASE_URL": database_url,
        "TASKBOARD_ARGON2_MEMORY_KIB": "1024", "TASKBOARD_ARGON2_TIME_COST": "1",
        "TASKBOARD_TRACING": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    })
    proc = subprocess.Popen([sys.executable, "-m", "taskboard.cli", "serve", "--port", str(port)], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            assert await wait_ready(client, pause=0.2), "serve did not become ready"
            api = Api(client, None)
            a, b = await api.signup("Ocean"), await api.signup("Pic")
            # Task mail goes only to a verified address: Ocean follows the link mailed at sign-up.
            assert await verify_from_mail_page(client, api, a), "no verification link on /dev/mail"
            board = (await api.ok('mutation { createBoard(name: "Traced") { id } }', token=a["token"]))["createBoard"]
            await api.ok('mutation($b: ID!, $e: String!) { addBoardMember(boardId: $b, email: $e) { role } }',
                         {"b": board["id"], "e": b["email"]}, a["token"])
            task = (await api.ok('mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }',
                                 {"i": {"boardId": board["id"], "title": "Trace me", "assigneeId": b["id"]}},
                                 a["token"]))["createTask"]
            await api.ok(UPDATE, {"t": task["id"]}, b["token"])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                [update] = receiver.named("graphql.mutation Finish") or [None]
                if update is not None and any(s.trace_id == update.trace_id for s in receiver.named("mail.send")):
                    break
                await asyncio.sleep(0.2)
    finally:
        output = stop(proc)
    assert update is not None, output[-3000:]
    trace = [s for s in receiver.spans if s.trace_id == update.trace_id]
    names = {s.name for s in trace}
    assert "outbox.deliver" in names and "mail.send" in names, (names, output[-3000:])
    [delivery] = [s for s in trace if s.name == "outbox.deliver"]
    mails = [s for s in trace if s.name == "mail.send"]
    # The delivery and the mail continue the mutation's span (its traceparent went through the outbox row
    # and the EventBridge event's detail).
    assert delivery.parent_id == update.span_id
    assert all(m.parent_id == update.span_id for m in mails)
    assert delivery.attributes["taskboard.detail_type"] == "TaskStatusChanged"
    assert {m.attributes["taskboard.event_id"] for m in mails} == {delivery.attributes["taskboard.event_id"]}
    # The HTTP request's span is the mutation's parent, and its SQL statements are in the trace too.
    assert any(s.span_id == update.parent_id for s in trace)
    assert any(s.attributes.get("db.system") == "sqlite" or s.attributes.get("db.system.name") == "sqlite"
               for s in trace)
    # Delivered alone, the event's span is the parent of the relay's calls (aiobotocore) too.
    if delivery.attributes["taskboard.batch_size"] == 1:
        calls = {s.name for s in trace if s.parent_id == delivery.span_id}
        assert {"EventBridge.PutEvents", "DynamoDB.PutItem"} <= calls, calls
    # The send itself: boto3's SES call is a child of the mail span.
    assert any(s.parent_id in {m.span_id for m in mails} and "SES" in s.name for s in trace), names
