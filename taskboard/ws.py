"""GraphQL over websockets, `graphql-transport-ws` only.

One `LiveSocket` per connection: a reader that speaks the protocol (here), a
writer that drains a bounded outgoing queue, a keep-alive ping and a timer that
closes the socket when its access token expires (`taskboard.ws_io`), and the
operations it runs (`taskboard.ws_ops`).  A consumer that falls too far behind is
closed and resumes with `afterSeq`.  Subscription payloads are rendered once per
event and distinct selection (`taskboard.live_render`) and the same text goes to
every subscriber that asked for it, around the subscriptions' tasks where it can
(`taskboard.live_direct`)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect

from auth.tokens import InvalidToken, bearer
from models.errors import ErrorCode
from schema.execution import is_subscription
from schema.persisted import Resolved
from taskboard import logs
from taskboard.ws_io import (
    BAD_MESSAGE,
    DUPLICATE_ID,
    FORBIDDEN,
    INIT_TIMEOUT,
    SLOW_CONSUMER,
    TOO_MANY_INITS,
    UNAUTHORIZED,
    ProtocolConfig,
)
from taskboard.ws_ops import Operations

__all__ = ["BAD_MESSAGE", "DUPLICATE_ID", "FORBIDDEN", "INIT_TIMEOUT", "PROTOCOL", "SLOW_CONSUMER",
           "TOO_MANY_INITS", "UNAUTHORIZED", "LiveSocket", "ProtocolConfig"]

PROTOCOL = "graphql-transport-ws"


class LiveSocket(Operations):
    __slots__ = ()

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

    async def _end_session(self) -> None:
        await self.close(FORBIDDEN, "Session ended")

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
