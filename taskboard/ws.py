"""GraphQL over websockets, `graphql-transport-ws` only.

One `LiveSocket` per connection: a reader that speaks the protocol, a writer
that drains a bounded outgoing queue (a consumer that falls too far behind is
closed and resumes with `afterSeq`), a keep-alive ping, and a timer that closes
the socket when its access token expires.  Subscription payloads are rendered
once per event and distinct selection (`taskboard.live_render`) and the same
text goes to every subscriber that asked for it."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
)
from graphql.execution import Executor, create_source_event_stream, execute_subscription_event
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from auth.tokens import InvalidToken, bearer
from models.errors import ApiError, ErrorCode
from resolvers.context import Ctx, Services
from resolvers.live import SlowConsumer
from schema.execution import Operations, Prepared, is_subscription
from schema.persisted import PersistedStore, Resolved
from taskboard import logs
from taskboard.clientaddr import connection_address
from taskboard.live_render import EventRenderer, selection_key
from taskboard.settings import Settings

log = logging.getLogger("taskboard.ws")

PROTOCOL = "graphql-transport-ws"
# Close codes of the protocol, and ours.
BAD_MESSAGE, UNAUTHORIZED, FORBIDDEN, INIT_TIMEOUT, DUPLICATE_ID, TOO_MANY_INITS = 4400, 4401, 4403, 4408, 4409, 4429
SLOW_CONSUMER = 1013  # "try again later": reconnect and resume with afterSeq
# The sockets' timers run in this one context: a handle otherwise copies the
# current one, and a socket re-arms its timer for as long as it is open.
_TIMER_CONTEXT = contextvars.Context()


class ProtocolConfig:
    def __init__(self, operations: Operations, services: Services, settings: Settings,
                 persisted: PersistedStore | None = None) -> None:
        self.operations = operations
        self.persisted = persisted
        self.schema: GraphQLSchema = operations.schema
        self.services = services
        self.settings = settings
        self.renderer = EventRenderer()
        self.max_frame = 64 * 1024
        self.out_queue = 256


class LiveSocket:
    # Thousands of these sit idle on one board: slots, no queue until there is
    # something to queue, and the timers a TimerHandle rather than a task.
    __slots__ = ("_asgi_send", "_closer", "_next_ping", "_out", "_room", "_timer", "_write_text", "_writer_task",
                 "acked", "cfg", "closing", "expires_at", "init_received", "ip", "opened", "ops", "viewer_id", "ws")

    def __init__(self, websocket: WebSocket, config: ProtocolConfig) -> None:
        self.ws = websocket
        self.cfg = config
        self.viewer_id: str | None = None
        self.acked = False
        self.init_received = False
        self.ops: dict[str, asyncio.Task[None]] = {}
        self._out: deque[str] | None = None  # our own messages waiting for the writer
        self._room: asyncio.Future[None] | None = None  # replies waiting for room in `_out`
        self.closing = False
        self.ip = connection_address(websocket, config.settings.trusted_networks)
        self.opened = asyncio.get_running_loop().time()
        self.expires_at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._next_ping = 0.0
        self._closer: asyncio.Task[None] | None = None  # a close the timer started
        self._writer_task: asyncio.Task[None] | None = None
        # Frames go to the ASGI send itself once the socket is accepted: Starlette's
        # send_text and send are two more coroutines per frame and check a state that
        # `closing` already tracks here, and a board event is a frame per subscriber.
        self._asgi_send = websocket._send
        # Under `taskboard serve` (taskboard.ws_protocol), a frame can go to the transport
        # without the ASGI round: None elsewhere.
        self._write_text: Callable[[bytes], bool] | None = getattr(
            getattr(self._asgi_send, "__self__", None), "write_text", None)

    # -- lifecycle ------------------------------------------------------------

    async def run(self) -> None:
        offered = [p.strip() for p in self.ws.scope.get("subprotocols", [])]
        if PROTOCOL not in offered:
            # The legacy `graphql-ws` protocol let clients skip connection_init: refused.
            await self.ws.close(code=1002)
            return
        await self.ws.accept(subprotocol=PROTOCOL)
        self._start_timers()
        try:
            await self._reader()
        finally:
            self.closing = True
            if self._timer is not None:
                self._timer.cancel()
            self._wake_room()
            if self.viewer_id is not None:
                self.cfg.services.sessions.discard(self.viewer_id, self._end_session)
            tasks = [*self.ops.values(), *(t for t in (self._closer, self._writer_task) if t is not None)]
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(BaseException):
                    await task

    async def close(self, code: int, reason: str = "") -> None:
        if self.closing:
            return
        self.closing = True
        with contextlib.suppress(Exception):
            if self.ws.application_state != WebSocketState.DISCONNECTED:
                # A peer that does not read never lets the close frame out: give up after a
                # moment; the server's websocket pings then drop the connection.
                await asyncio.wait_for(self.ws.close(code=code, reason=reason[:120]), 2)

    async def _end_session(self) -> None:
        await self.close(FORBIDDEN, "Session ended")

    def send(self, message: dict[str, Any]) -> None:
        """A message of the server's own (keep-alive): dropped when the queue is full,
        since a full queue is traffic enough."""
        if not self.closing and (self._out is None or len(self._out) < self.cfg.out_queue):
            self._queue(orjson.dumps(message).decode())

    async def reply(self, message: dict[str, Any]) -> None:
        """A message answering the client: waits for room, so a client that floods us
        with requests is slowed to the pace at which it reads our answers."""
        while not self.closing and self._out is not None and len(self._out) >= self.cfg.out_queue:
            if self._room is None:
                self._room = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._room)  # shared by every waiter: one cancelled leaves it to the others
        if not self.closing:
            self._queue(orjson.dumps(message).decode())

    def _queue(self, frame: str) -> None:
        if self._out is None:
            self._out = deque()
        self._out.append(frame)
        self._ensure_writer()

    def _wake_room(self) -> None:
        room, self._room = self._room, None
        if room is not None and not room.done():
            room.set_result(None)

    def _ensure_writer(self) -> None:
        # One task only while there is something to write: an idle socket costs less.
        if self._writer_task is None or self._writer_task.done():
            self._writer_task = asyncio.get_running_loop().create_task(self._writer())

    async def _send_now(self, frame: str) -> bool:
        if self.closing:
            return False
        try:
            if self._write_text is not None and self._write_text(frame.encode()):
                return True
            await self._asgi_send({"type": "websocket.send", "text": frame})
        except Exception:  # the peer went away
            self.closing = True
            return False
        return True

    async def _writer(self) -> None:
        out = self._out
        while out and not self.closing:
            frame = out.popleft()
            self._wake_room()
            try:
                await self._asgi_send({"type": "websocket.send", "text": frame})
            except Exception:  # the peer went away
                self.closing = True
        if self._out is out and not out:
            self._out = None  # an idle socket keeps no queue
        if self.closing:
            self._out = None
            self._wake_room()  # unblock anyone waiting for room
        self._writer_task = None  # nor a finished task

    def _start_timers(self) -> None:
        self._next_ping = asyncio.get_running_loop().time() + self.cfg.settings.keepalive_interval
        self._arm()

    def _arm(self) -> None:
        """The connection_init deadline, the keep-alive ping (an idle socket must see
        traffic within the ALB's 60 s idle timeout) and the token's expiry, in one
        timer (a task per socket cost more than the rest of an idle socket's state)."""
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        wake = self._next_ping if self.acked else self.opened + self.cfg.settings.connection_init_timeout
        if self.expires_at:
            wake = min(wake, loop.time() + self.expires_at - time.time())
        self._timer = loop.call_at(wake, self._tick, context=_TIMER_CONTEXT)

    def _tick(self) -> None:
        self._timer = None
        if self.closing:
            return
        loop = asyncio.get_running_loop()
        if not self.acked:
            if loop.time() >= self.opened + self.cfg.settings.connection_init_timeout:
                self._close_soon(INIT_TIMEOUT, "Connection initialisation timeout")
                return
        elif self.expires_at and time.time() >= self.expires_at:
            self._close_soon(FORBIDDEN, "Access token expired")
            return
        elif loop.time() >= self._next_ping:
            self.send({"type": "ping"})
            self._next_ping = loop.time() + self.cfg.settings.keepalive_interval
        self._arm()

    def _close_soon(self, code: int, reason: str) -> None:
        self._closer = asyncio.get_running_loop().create_task(self.close(code, reason))

    # -- protocol -------------------------------------------------------------

    async def _reader(self) -> None:
        while not self.closing:
            try:
                message = await self.ws.receive()
            except (WebSocketDisconnect, RuntimeError):
                return
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None:
                await self.close(BAD_MESSAGE, "Messages are JSON text frames")
                return
            if len(text) > self.cfg.max_frame:
                await self.close(BAD_MESSAGE, "Message too large")
                return
            try:
                msg = orjson.loads(text)
            except orjson.JSONDecodeError:
                await self.close(BAD_MESSAGE, "Invalid JSON")
                return
            if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
                await self.close(BAD_MESSAGE, "Invalid message")
                return
            await self._dispatch(msg)
            # Not kept while waiting for the next one (an idle socket would hold its
            # subscribe message for hours).
            del message, text, msg

    async def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == "connection_init":
            await self._on_init(msg.get("payload"))
        elif kind == "ping":
            pong: dict[str, Any] = {"type": "pong"}
            if isinstance(msg.get("payload"), dict):
                pong["payload"] = msg["payload"]
            await self.reply(pong)
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._on_subscribe(msg)
        elif kind == "complete":
            op_id = msg.get("id")
            if isinstance(op_id, str) and op_id in self.ops:
                self.ops.pop(op_id).cancel()
        else:
            await self.close(BAD_MESSAGE, f"Unknown message type {kind[:40]!r}")

    async def _on_init(self, payload: Any) -> None:
        if self.init_received:
            await self.close(TOO_MANY_INITS, "Too many initialisation requests")
            return
        self.init_received = True
        if payload is not None and not isinstance(payload, dict):
            await self.close(BAD_MESSAGE, "Invalid connection_init payload")
            return
        header = (payload or {}).get("authorization")
        token = bearer(header) if isinstance(header, str) else None
        try:
            if token is None:
                raise InvalidToken("missing")
            claims = self.cfg.services.tokens.verify_access(token)
        except InvalidToken:
            await self.close(FORBIDDEN, "Forbidden")
            return
        self.viewer_id = claims.user_id
        self.acked = True
        # A password reset or change ends this session (resolvers.sessions).
        self.cfg.services.sessions.add(claims.user_id, self._end_session)
        self.expires_at = claims.expires_at
        await self.reply({"type": "connection_ack"})
        self._start_timers()  # from now on: keep-alive and the token's expiry

    async def _on_subscribe(self, msg: dict[str, Any]) -> None:
        if not self.acked:
            await self.close(UNAUTHORIZED, "Unauthorized")
            return
        op_id, payload = msg.get("id"), msg.get("payload")
        if not isinstance(op_id, str) or not op_id or len(op_id) > 128 or not isinstance(payload, dict):
            await self.close(BAD_MESSAGE, "Invalid subscribe message")
            return
        if op_id in self.ops:
            await self.close(DUPLICATE_ID, f"Subscriber for {op_id} already exists")
            return
        query, variables, op_name = payload.get("query"), payload.get("variables"), payload.get("operationName")
        extensions = payload.get("extensions")
        persisted = self.cfg.persisted
        apq = persisted is not None and (extensions is not None or persisted.only)
        if ((not apq and not isinstance(query, str)) or (variables is not None and not isinstance(variables, dict))
                or (op_name is not None and not isinstance(op_name, str))):
            await self.close(BAD_MESSAGE, "Invalid subscribe payload")
            return
        if len(self.ops) >= self.cfg.settings.max_subscriptions_per_socket:
            await self._error(op_id, [GraphQLError(
                f"At most {self.cfg.settings.max_subscriptions_per_socket} operations per socket",
                extensions={"code": ErrorCode.BAD_USER_INPUT.value})])
            return
        resolved = await persisted.resolve(query, extensions) if apq and persisted is not None else Resolved(str(query))
        if isinstance(resolved, list):  # PERSISTED_QUERY_NOT_FOUND: the client resubscribes with the document
            await self._error(op_id, resolved)
            return
        query = resolved.query
        prepared = self.cfg.operations.prepare(query, op_name, variables,  # the cost limit too
                                               persisted=resolved.hash is not None)
        if isinstance(prepared, list):
            await self._error(op_id, prepared)
            return
        if persisted is not None:
            await persisted.register(resolved)
        line = {"operation": op_name or (prepared.operation.name.value if prepared.operation.name else None),
                "operation_type": prepared.operation.operation.value, "user_id": self.viewer_id}
        if is_subscription(prepared):
            self.ops[op_id] = asyncio.create_task(logs.logged(
                line, self._subscription(op_id, prepared.document, query, variables or {}, op_name)))
        else:
            self.ops[op_id] = asyncio.create_task(
                logs.logged(line, self._single(op_id, prepared, variables or {}, op_name)))

    def _ctx(self) -> Ctx:
        op = logs.current()  # the operation's line and its errors show one request id
        return Ctx(self.cfg.services, viewer_id=self.viewer_id, client_ip=self.ip,
                   request_id=op.request_id if op is not None else uuid.uuid4().hex)

    def _format(self, errors: list[GraphQLError], request_id: str = "-") -> list[Any]:
        return self.cfg.operations.format(errors, request_id)

    async def _error(self, op_id: str, errors: list[GraphQLError]) -> None:
        payload = self._format(errors)
        if logs.current() is None:  # refused before it ran: a line of its own
            logs.refused("ws", payload, user_id=self.viewer_id)
        else:
            logs.note_errors(payload)
        await self.reply({"id": op_id, "type": "error", "payload": payload})

    async def _finish(self, op_id: str) -> None:
        if self.ops.pop(op_id, None) is not None:
            await self.reply({"id": op_id, "type": "complete"})

    async def _single(self, op_id: str, prepared: Prepared, variables: dict[str, Any], op_name: str | None) -> None:
        """Queries and mutations over the socket: one result, then complete."""
        body = await self.cfg.operations.run(prepared, self._ctx(), variables, op_name)
        logs.note_errors(body.get("errors"))
        await self.reply({"id": op_id, "type": "next", "payload": body})
        await self._finish(op_id)

    async def _subscription(self, op_id: str, doc: DocumentNode, query: str, variables: dict[str, Any],
                            op_name: str | None) -> None:
        ctx = self._ctx()
        executor = Executor.build(self.cfg.schema, doc, context_value=ctx, raw_variable_values=variables,
                                  operation_name=op_name, hide_suggestions=self.cfg.operations.production)
        if isinstance(executor, list):
            await self._error(op_id, executor)
            self.ops.pop(op_id, None)
            return
        stream: Any = create_source_event_stream(executor)
        if isinstance(stream, Awaitable):
            stream = await stream
        if isinstance(stream, ExecutionResult):
            await self._error(op_id, list(stream.errors or []))
            self.ops.pop(op_id, None)
            return
        selection = selection_key(doc, query, op_name, variables, self.viewer_id)
        prefix = '{"id":' + orjson.dumps(op_id).decode() + ',"type":"next","payload":'
        renderer = self.cfg.renderer
        try:
            async for event in stream:
                # A board event is one render per (board, seq); other streams name their own key.
                own = getattr(event, "render_key", None)
                key = (*(own or (event.board_id, event.seq)), *selection)
                payload = renderer.cached(key)
                if payload is None:
                    payload = await renderer.render(key, partial(self._execute, doc, variables, op_name, event))
                # Straight to the socket: it waits when the client does not read, and then
                # this subscription's bounded buffer fills (SlowConsumer below).
                if not await self._send_now(prefix + payload + "}"):
                    return
        except SlowConsumer:
            log.info("closing a websocket that fell too far behind (%s)", self.ip)
            await self.close(SLOW_CONSUMER, "Too far behind; resume with afterSeq")
            return
        except ApiError as exc:
            await self._error(op_id, [GraphQLError(exc.message, original_error=exc)])
            self.ops.pop(op_id, None)
            return
        except asyncio.CancelledError:
            raise
        except Exception:  # masked: logged with an id, never shown
            log.exception("live stream failed (request %s)", ctx.request_id)
            await self._error(op_id, [GraphQLError("Internal server error", extensions={
                "code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": ctx.request_id})])
            self.ops.pop(op_id, None)
            return
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        await self._finish(op_id)

    async def _execute(self, doc: DocumentNode, variables: dict[str, Any], op_name: str | None, event: Any) -> str:
        ctx = self._ctx()  # fresh loaders for every event: nothing cached goes stale
        executor = Executor.build(self.cfg.schema, doc, context_value=ctx, raw_variable_values=variables,
                                  operation_name=op_name)
        assert not isinstance(executor, list)  # the same arguments built before
        result: Any = execute_subscription_event(executor.build_per_event_executor(event))
        if isinstance(result, Awaitable):
            result = await result
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = self._format(list(result.errors), ctx.request_id)
        return orjson.dumps(body).decode()
