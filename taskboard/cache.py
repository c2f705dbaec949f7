"""A response cache for board reads, invalidated exactly by the board's seq.

Every committed change of a board (task or membership) takes the board's next
seq in the same transaction, and nothing else a board query can select changes
without one, but a person's name (updateProfile), which empties this process's
cache (`clear`); settings are not reachable through a board.  So a board
query's response is a function of (viewer, board, seq, document, variables).
Each request reads the board's current seq and the viewer's membership in one
indexed query: a non-member never gets a hit (the normal path answers
NOT_FOUND), and a hit is never older than the last change the viewer could
have seen.

Only documents whose every root field is `board(id: ...)` of one board are
cached, and none that select `activity` (the activity log lives in DynamoDB and
trails the commit).  Responses with errors are never stored.

Misses of one key are computed once (`flight`): after a change, the readers that
arrive while the new response is being computed wait for it instead of each
computing the same thing.  The key's lookup also yields the viewer's board
record, which the request's loader reuses instead of reading it again.
"""

from __future__ import annotations

import asyncio
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    VariableNode,
)
from sqlalchemy import String, bindparam
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.records import BoardRec, boards_t, viewer_boards

# What an entry holds besides its body and the text and variables in its key: the
# key tuple, its seq, the OrderedDict's node (sys.getsizeof of each, rounded up),
# so a spray of tiny responses is bounded too.
ENTRY_OVERHEAD_BYTES = 512
# The viewer's record of one board (its seq, their role), built once: building the
# statement per request cost more CPU than running it.
_VIEWER_BOARD = viewer_boards(bindparam("viewer_id", type_=String)).where(boards_t.c.id == bindparam("board_id"))


@dataclass(frozen=True, slots=True)
class BoardTarget:
    """Where a cacheable document takes its board id from."""

    literal: str | None
    variable: str | None

    def board_id(self, variables: dict[str, Any] | None) -> str | None:
        if self.literal is not None:
            return self.literal
        value = (variables or {}).get(self.variable or "")
        return value if isinstance(value, str) else None


def board_target(query: str, operation: OperationDefinitionNode) -> BoardTarget | None:
    """How to find the one board a query reads, or None if it is not cacheable.
    `operation` is the validated document's: nothing is parsed (or kept) here."""
    if "activity" in query:  # conservative: also catches aliases and fragment names
        return None
    if operation.operation != OperationType.QUERY or operation.directives:
        return None
    target: BoardTarget | None = None
    for node in operation.selection_set.selections:
        if not isinstance(node, FieldNode) or node.name.value != "board" or node.directives:
            return None  # fragments or other root fields: not a board read
        arg = next((a for a in node.arguments or () if a.name.value == "id"), None)
        if arg is None:
            return None
        if isinstance(arg.value, StringValueNode):
            this = BoardTarget(arg.value.value, None)
        elif isinstance(arg.value, VariableNode):
            this = BoardTarget(None, arg.value.name.value)
        else:
            return None
        if target is not None and target != this:
            return None
        target = this
    return target


class ResponseCache:
    def __init__(self, reader: Callable[[], AsyncConnection], *, max_bytes: int, max_entry_bytes: int) -> None:
        self._reader = reader
        # Bounded by bytes, not entries: an entry's size is set by its caller (a
        # board of 100 tasks, a document of 16 KiB), so a count bounds nothing.
        self._entries: OrderedDict[tuple[Any, ...], tuple[bytes, int]] = OrderedDict()
        self._max_bytes = max_bytes
        self._max_entry_bytes = max_entry_bytes
        self._bytes = 0
        self.hits = 0
        self.misses = 0
        self.joined = 0  # misses answered by another request's computation of the same key
        self._flights: dict[tuple[Any, ...], asyncio.Future[bytes | None]] = {}
        self._generation = 0  # bumped by `clear`

    @property
    def size_bytes(self) -> int:
        """What the entries are counted as holding."""
        return self._bytes

    async def lookup(self, viewer_id: str | None, query: str, operation_name: str | None,
                     variables: dict[str, Any] | None, variables_raw: bytes, operation: OperationDefinitionNode
                     ) -> tuple[tuple[Any, ...], BoardRec] | None:
        """The cache key of a board read and the viewer's record of that board, or
        None when the request is not cacheable."""
        if viewer_id is None:
            return None
        target = board_target(query, operation)
        board_id = target.board_id(variables) if target is not None else None
        if board_id is None:
            return None
        async with self._reader() as conn:
            row = (await conn.execute(_VIEWER_BOARD, {"viewer_id": viewer_id, "board_id": board_id})).first()
        if row is None:
            return None  # not a member, or no such board: the normal path says NOT_FOUND
        key = (viewer_id, board_id, row.event_seq, query, operation_name, variables_raw)
        return key, BoardRec.from_row(row)

    async def flight(self, key: tuple[Any, ...], compute: Callable[[], Awaitable[bytes | None]]
                     ) -> tuple[bytes | None, bool]:
        """`compute()` once for concurrent misses of `key`: (its body, whether this
        call joined another's computation).  A computation that gives None (a
        response not to be shared, e.g. with errors) makes each joiner compute its
        own.  The body is stored when it is not None."""
        pending = self._flights.get(key)
        if pending is not None:
            body = await asyncio.shield(pending)
            if body is not None:
                self.joined += 1
                return body, True
            return await compute(), False
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._flights[key] = future
        generation = self._generation
        try:
            body = await compute()
        except BaseException:
            future.set_result(None)
            raise
        finally:
            self._flights.pop(key, None)
        future.set_result(body)
        if body is not None and generation == self._generation:  # not read before a `clear`
            self.put(key, body)
        return body, False

    def clear(self) -> None:
        """Forget every response (a name shown in them changed), and let no
        computation that began before store what it read."""
        self._generation += 1
        self._entries.clear()
        self._bytes = 0

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[0]

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        size = ENTRY_OVERHEAD_BYTES + sys.getsizeof(body) + sum(
            sys.getsizeof(part) for part in key if isinstance(part, (str, bytes)))  # a str of 1, 2 or 4 bytes a char
        if size > self._max_entry_bytes or size > self._max_bytes or key in self._entries:
            return
        self._entries[key] = (body, size)
        self._bytes += size
        while self._bytes > self._max_bytes:
            self._bytes -= self._entries.popitem(last=False)[1][1]
