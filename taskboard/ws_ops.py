"""A live socket's operations: queries and mutations (one result), and subscriptions.

A subscription reads its stream in a task of its own and sends each event's
render (`taskboard.live_render`: once per event and selection, whoever asks).
While its board stream waits, caught up, events go around that task
(`taskboard.live_direct`), which is the whole of a large board's fan-out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from functools import partial
from typing import Any

import orjson
from graphql import DocumentNode, ExecutionResult, GraphQLError
from graphql.execution import Executor, create_source_event_stream, execute_subscription_event

from models.errors import ApiError, ErrorCode
from resolvers.context import Ctx
from resolvers.live import DIRECT, SlowConsumer
from schema.execution import Prepared
from taskboard import logs
from taskboard.live_direct import DirectSink
from taskboard.live_render import selection_key
from taskboard.ws_io import SLOW_CONSUMER, SocketIO

log = logging.getLogger("taskboard.ws")


class Operations(SocketIO):
    __slots__ = ()

    def _ctx(self) -> Ctx:
        op = logs.current()  # the operation's line and its errors show one request id
        return Ctx(self.cfg.services, viewer_id=self.viewer_id, client_ip=self.ip,
                   request_id=op.request_id if op is not None else logs.new_request_id())

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
        stream = await self._source_stream(op_id, doc, ctx, variables, op_name)
        if stream is None:
            return
        selection = selection_key(doc, query, op_name, variables, self.viewer_id)
        prefix = '{"id":' + orjson.dumps(op_id).decode() + ',"type":"next","payload":'
        execute = partial(self._execute, doc, variables, op_name)
        if self._proto is not None:  # a board stream's events may go around this task (resolvers.live)
            DIRECT.set(DirectSink(self, op_id, prefix, selection, execute))
        try:
            if not await self._deliver(stream, prefix, selection, execute):
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

    async def _source_stream(self, op_id: str, doc: DocumentNode, ctx: Ctx, variables: dict[str, Any],
                             op_name: str | None) -> Any:
        """The subscription's source events, or None after an error was sent."""
        executor = Executor.build(self.cfg.schema, doc, context_value=ctx, raw_variable_values=variables,
                                  operation_name=op_name, hide_suggestions=self.cfg.operations.production)
        if isinstance(executor, list):
            await self._error(op_id, executor)
            self.ops.pop(op_id, None)
            return None
        stream: Any = create_source_event_stream(executor)
        if isinstance(stream, Awaitable):
            stream = await stream
        if isinstance(stream, ExecutionResult):
            await self._error(op_id, list(stream.errors or []))
            self.ops.pop(op_id, None)
            return None
        return stream

    async def _deliver(self, stream: Any, prefix: str, selection: tuple[Any, ...], execute: partial[Any]) -> bool:
        """Send what the stream yields; False when the socket went away."""
        renderer = self.cfg.renderer
        async for event in stream:
            # A board event is one render per (board, seq); other streams name their own key.
            own = getattr(event, "render_key", None)
            key = (*(own or (event.board_id, event.seq)), *selection)
            payload = renderer.cached(key)
            if payload is None:
                payload = await renderer.render(key, partial(execute, event))
            # Straight to the socket: it waits when the client does not read, and then
            # this subscription's bounded buffer fills (SlowConsumer below).
            if not await self._send_now(prefix + payload + "}"):
                return False
        return True

    async def _execute(self, doc: DocumentNode, variables: dict[str, Any], op_name: str | None, event: Any) -> str:
        ctx = self._ctx()  # fresh loaders for every event: nothing cached goes stale
        executor = Executor.build(self.cfg.schema, doc, context_value=ctx, raw_variable_values=variables,
                                  operation_name=op_name)
        if isinstance(executor, list):  # the same arguments built before: it cannot refuse them now
            raise RuntimeError(f"the subscription's executor could not be rebuilt: {executor[0].message}")
        result: Any = execute_subscription_event(executor.build_per_event_executor(event))
        if isinstance(result, Awaitable):
            result = await result
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = self._format(list(result.errors), ctx.request_id)
        return orjson.dumps(body).decode()
