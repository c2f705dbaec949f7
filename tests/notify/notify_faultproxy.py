"""A tiny real HTTP proxy in front of moto's server, to produce the faults moto
cannot: AWS unreachable (connections refused), throttling answers, and
partially failed PutEvents.  Threaded (stdlib http.server), so it serves sync
boto3 and aioboto3 clients alike.  Every response closes its connection, so
"down" really means the next request is refused."""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def target(self) -> str:
        return self.headers.get("x-amz-target", "")

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


# A hook sees each request.  It may return a Response (answered without reaching
# moto), or a (Request, post) pair: the (possibly rewritten) request to forward
# and a function rewriting moto's response (None: the answer is lost, the
# connection closes without one); or None to forward unchanged.
Hook = Callable[[Request], "Response | tuple[Request, Callable[[Response], Response | None]] | None"]


@dataclass
class FaultProxy:
    upstream_host: str
    upstream_port: int
    hooks: list[Hook] = field(default_factory=list)
    seen: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                proxy.seen.append(req)
                post: Callable[[Response], Response | None] | None = None
                for hook in list(proxy.hooks):
                    result = hook(req)
                    if isinstance(result, Response):
                        self._reply(result)
                        return
                    if result is not None:
                        req, post = result
                        break
                resp: Response | None = proxy._forward(req)
                if post is not None:
                    resp = post(resp)  # type: ignore[arg-type]
                if resp is None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._reply(resp)

            def _reply(self, resp: Response) -> None:
                self.send_response(resp.status)
                skip = {"content-length", "connection", "transfer-encoding", "server", "date"}
                for key, value in resp.headers.items():
                    if key.lower() not in skip:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(resp.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(resp.body)
                self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join()
            self._server = None

    def up(self) -> None:
        if self._server is None:
            self.start()

    stop = down

    def _forward(self, req: Request) -> Response:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in req.headers.items() if k not in ("host", "content-length", "connection")}
            headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
            headers["Content-Length"] = str(len(req.body))
            conn.request(req.method, req.path, body=req.body, headers=headers)
            upstream = conn.getresponse()
            return Response(upstream.status, dict(upstream.getheaders()), upstream.read())
        finally:
            conn.close()


def refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def throttle_dynamodb(times: int, operation: str = "PutItem") -> tuple[Hook, list[int]]:
    """Answer the first `times` DynamoDB `operation` calls with a 400 throttling error."""
    count = [0]

    def hook(req: Request) -> Response | None:
        if req.target != f"DynamoDB_20120810.{operation}" or count[0] >= times:
            return None
        count[0] += 1
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded.",
            }
        ).encode()
        return Response(400, {"Content-Type": "application/x-amz-json-1.0"}, body)

    return hook, count


def fail_put_events_entry(index: int, times: int = 1) -> tuple[Hook, list[int]]:
    """The first `times` PutEvents calls: the entry at `index` is not forwarded to
    moto and comes back failed (FailedEntryCount=1), the others go through.
    Records the entry count of every PutEvents call seen."""
    state = {"left": times}
    sizes: list[int] = []

    def hook(req: Request) -> tuple[Request, Callable[[Response], Response]] | None:
        if req.target != "AWSEvents.PutEvents":
            return None
        payload = req.json()
        entries = payload["Entries"]
        sizes.append(len(entries))
        if state["left"] <= 0 or index >= len(entries):
            return None
        state["left"] -= 1
        kept = entries[:index] + entries[index + 1 :]
        new_req = Request(req.method, req.path, dict(req.headers), json.dumps({**payload, "Entries": kept}).encode())

        def post(resp: Response) -> Response:
            data = json.loads(resp.body)
            results = list(data.get("Entries", []))
            results.insert(index, {"ErrorCode": "InternalFailure", "ErrorMessage": "injected by the test proxy"})
            data["Entries"] = results
            data["FailedEntryCount"] = int(data.get("FailedEntryCount", 0)) + 1
            return Response(resp.status, resp.headers, json.dumps(data).encode())

        return new_req, post

    return hook, sizes
