"""Rendering a board event once per selection, for every subscriber that asked for it.

A web client subscribes with its own `afterSeq`, so keying renders on the whole
variables made every subscriber render alone.  The key is what shapes the
payload: the document, the operation, the variables the selection uses (not
the arguments of `boardEvents` itself: the event carries its board, and where
the replay started changes nothing in an event), the event (board, seq), and
the viewer when the selection asks for viewer-specific fields.

The render runs in a task of its own: a subscriber cancelled while it waits
(the client completed, the socket closed) must not take the result away from
the others waiting on the same render.  Besides the subscribers' tasks that
await it, a render has listeners (`when_ready`): the direct deliveries of
`taskboard.live_direct`, called in one loop when it is done."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

import orjson
from graphql import DocumentNode, FieldNode, Node, OperationDefinitionNode, VariableNode

log = logging.getLogger("taskboard.ws")

ROOT_FIELD = "boardEvents"
# Fields whose value depends on who reads them: a selection holding one is rendered per viewer.
PER_VIEWER_FIELDS = ("viewerRole", "viewerCan")


def selection_variables(doc: DocumentNode) -> frozenset[str]:
    """The variables the document uses anywhere but in `boardEvents(...)`'s arguments."""
    out: set[str] = set()
    _collect(doc, out)
    return frozenset(out)


def _collect(node: Any, out: set[str]) -> None:
    if isinstance(node, (list, tuple)):
        for item in node:
            _collect(item, out)
        return
    if not isinstance(node, Node):
        return
    if isinstance(node, VariableNode):
        out.add(node.name.value)
        return
    if isinstance(node, OperationDefinitionNode):  # its variable definitions declare, not use
        _collect(node.directives, out)
        _collect(node.selection_set, out)
        return
    if isinstance(node, FieldNode) and node.name.value == ROOT_FIELD:
        _collect(node.directives, out)
        _collect(node.selection_set, out)
        return
    for key in node.keys:
        if key != "loc":
            _collect(getattr(node, key, None), out)


def selection_key(doc: DocumentNode, query: str, op_name: str | None, variables: dict[str, Any],
                  viewer_id: str | None) -> tuple[Any, ...]:
    """The part of a render's key that one subscription keeps for all its events."""
    used = selection_variables(doc)
    # Text, not orjson's bytes: each subscription keeps this for its life, and orjson's
    # bytes keep the 4 KiB buffer they were written into.
    shaping = orjson.dumps({k: v for k, v in variables.items() if k in used}, option=orjson.OPT_SORT_KEYS).decode()
    per_viewer = any(name in query for name in PER_VIEWER_FIELDS)
    return (query, op_name, shaping, viewer_id if per_viewer else None)


class Listener(Protocol):
    """What `EventRenderer.when_ready` calls back (taskboard.live_direct)."""

    context: contextvars.Context  # the render's, when this listener starts it

    def render(self, event: Any) -> Awaitable[str]: ...

    def rendered(self, payload: str | None, sub: Any, event: Any) -> None:
        """The render's text, or None when it failed."""


class EventRenderer:
    """Renders one subscription event for one selection once, whoever asks."""

    def __init__(self, size: int = 2048) -> None:
        self._size = size
        self._cache: OrderedDict[tuple[Any, ...], asyncio.Task[str]] = OrderedDict()
        # What the waiters of a render in flight await.  One future for all of them,
        # not a shield each: every subscriber of a board but the first waits here for
        # each event, and shields (a future and two callbacks apiece) were a tenth of
        # a 5,000-subscriber fan-out.
        self._gates: dict[asyncio.Task[str], asyncio.Future[str]] = {}
        self._listeners: dict[asyncio.Task[str], list[tuple[Listener, Any, Any]]] = {}
        # The render `when_ready` last added a listener to: the next subscriber of the same
        # board and selection joins it without the two lookups.
        self._joined: tuple[tuple[Any, ...], asyncio.Task[str], list[tuple[Listener, Any, Any]]] | None = None
        self.executions = 0

    def cached(self, key: tuple[Any, ...]) -> str | None:
        task = self._cache.get(key)
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    async def render(self, key: tuple[Any, ...], produce: Callable[[], Awaitable[str]]) -> str:
        while True:
            task = self._cache.get(key)
            if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
                task = self._start(key, produce)
            if task.done():
                return task.result()
            gate = self._gates.get(task)
            if gate is None or gate.cancelled():
                gate = self._gates[task] = asyncio.get_running_loop().create_future()
            try:
                return await gate
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is None or current.cancelling():
                    raise  # this subscriber was cancelled
                # Another waiter's cancellation took the shared gate with it, or the render
                # itself was cancelled (shutdown): not this subscriber, so again.

    def when_ready(self, key: tuple[Any, ...], listener: Listener, sub: Any, event: Any) -> None:
        """`listener.rendered(payload, sub, event)` once the render of `key` is done (now if
        it is), with no task of the listener's own waiting for it."""
        joined = self._joined
        if joined is not None and not joined[1].done() and joined[0] == key:
            joined[2].append((listener, sub, event))
            return
        task = self._cache.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = self._start(key, partial(listener.render, event), listener.context)
        if task.done():
            listener.rendered(task.result(), sub, event)
            return
        waiting = self._listeners.get(task)
        if waiting is None:
            waiting = self._listeners[task] = []
        waiting.append((listener, sub, event))
        self._joined = (key, task, waiting)

    def _start(self, key: tuple[Any, ...], produce: Callable[[], Awaitable[str]],
               context: contextvars.Context | None = None) -> asyncio.Task[str]:
        async def run() -> str:
            return await produce()

        task = asyncio.get_running_loop().create_task(run(), context=context)
        task.add_done_callback(self._done(key))
        self._cache[key] = task
        self._cache.move_to_end(key)
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        self.executions += 1
        return task

    def _done(self, key: tuple[Any, ...]) -> Callable[[asyncio.Task[str]], None]:
        def done(task: asyncio.Task[str]) -> None:
            # A failed render is not kept: the next subscriber tries again.  Retrieving
            # the exception here keeps a render nobody waited for out of the log.
            failed = task.cancelled() or task.exception() is not None
            if failed and self._cache.get(key) is task:
                del self._cache[key]
            gate = self._gates.pop(task, None)
            if gate is not None and not gate.done():
                if task.cancelled():
                    gate.cancel()
                elif (exc := task.exception()) is not None:
                    gate.set_exception(exc)
                else:
                    gate.set_result(task.result())
            waiting = self._listeners.pop(task, None)
            if self._joined is not None and self._joined[1] is task:
                self._joined = None
            if waiting:
                payload = None if failed else task.result()
                for listener, sub, event in waiting:
                    try:
                        listener.rendered(payload, sub, event)
                    except Exception:  # one listener's failure is not the others'
                        log.exception("live delivery failed")
        return done
