"""Where the outbox relay delivers a claimed row: the DynamoDB activity log and
the EventBridge bus, each behind a small protocol (as `notify.activity_port` is
for reading the log), sharing one set of AWS clients.

Neither raises for a row: what failed is appended to the row's `errors`, what
succeeded sets its `log_ok` / `bus_ok`; the relay marks the rows from that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any, Protocol

from botocore.config import Config
from botocore.exceptions import ClientError

from models.events import LOG_TYPES, SOURCE, ActivityKind, encode_event
from notify.claims import MAX_ERROR_CHARS, Claimed

MAX_ENTRIES_PER_PUT = 10
MAX_PUT_BYTES = 256 * 1024


def error_text(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        text = f"{err.get('Code', type(exc).__name__)}: {err.get('Message', str(exc))}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS]


def activity_item(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The DynamoDB item (low-level attribute values) for one event payload (as the
    unit of work wrote it: eventId, seq, boardId, kind, ... are always set)."""
    board_id = payload["boardId"]
    seq = int(payload["seq"])
    task_id = payload.get("taskId")
    activity_kind = payload.get("activityKind") or ""
    message = payload.get("message") or ""
    at = payload.get("at") or ""
    log_type = payload.get("logType")
    if not log_type:
        with contextlib.suppress(ValueError):
            log_type = LOG_TYPES[ActivityKind(activity_kind)]
    item: dict[str, Any] = {
        "PK": {"S": f"BOARD#{board_id}"},
        "SK": {"S": f"{seq:012d}"},
        "EventId": {"S": str(payload["eventId"])},
        "Seq": {"N": str(seq)},
        "BoardId": {"S": str(board_id)},
        "Kind": {"S": str(payload.get("kind") or "")},
        "ActivityKind": {"S": str(activity_kind)},
        "DetailType": {"S": str(payload.get("detailType") or "")},
        "ActorId": {"S": str(payload.get("actorId") or "")},
        "ActorEmail": {"S": str(payload.get("actorEmail") or "")},
        "Message": {"S": message},
        "At": {"S": at},
        # The seed's attributes.
        "Timestamp": {"S": at},
        "LogType": {"S": str(log_type or "")},
        "LogContent": {"S": message},
    }
    if payload.get("boardName"):
        item["BoardName"] = {"S": str(payload["boardName"])}
    if task_id:
        item["TaskPK"] = {"S": f"TASK#{task_id}"}
        item["TaskId"] = {"S": str(task_id)}
    if payload.get("changes") is not None:
        item["Changes"] = {"S": json.dumps(payload["changes"], separators=(",", ":"), ensure_ascii=False)}
    # DynamoDB rejects empty strings only in key attributes; keep items tidy anyway.
    return {k: v for k, v in item.items() if not ("S" in v and v["S"] == "" and k not in ("Message", "LogContent"))}


def event_detail(payload: Mapping[str, Any], limit: int = MAX_PUT_BYTES - 4096) -> str:
    """The payload as the event's Detail, verbatim; an oversized task description
    (the only unbounded field) is cut so the entry fits EventBridge's 256 KB."""
    detail = encode_event(dict(payload))
    if len(detail.encode()) <= limit:
        return detail
    trimmed = json.loads(detail)
    task = trimmed.get("task")
    if isinstance(task, dict) and isinstance(task.get("description"), str):
        overflow = len(detail.encode()) - limit
        description = task["description"].encode()
        task["description"] = description[: max(0, len(description) - overflow - 64)].decode(errors="ignore")
        trimmed["descriptionTruncated"] = True
    return encode_event(trimmed)


def _entry_size(entry: Mapping[str, Any]) -> int:
    # EventBridge's own size rule: the UTF-8 sizes of Source, DetailType, Detail,
    # Resources, plus 14 bytes for Time when set.
    return sum(len(str(entry.get(k, "")).encode()) for k in ("Source", "DetailType", "Detail")) + 14


class ActivitySink(Protocol):
    async def write(self, claimed: Sequence[Claimed]) -> None: ...


class BusSink(Protocol):
    async def publish(self, claimed: Sequence[Claimed]) -> None: ...


class AwsClients:
    """The DynamoDB and EventBridge clients, opened on first use and kept until
    `aclose` (a failed open is tried again on the next use)."""

    def __init__(self, aws_session: Any, endpoint_url: str | None, region: str, config: Config | None = None) -> None:
        self._session = aws_session
        self._kw: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            # Fail fast: the relay retries itself, with backoff per row; the SDK's own
            # retries would only hold the batch (and its lease) longer.
            "config": config or Config(connect_timeout=3, read_timeout=10,
                                       retries={"mode": "standard", "total_max_attempts": 2}),
        }
        self._lock = asyncio.Lock()
        self._stack: AsyncExitStack | None = None
        self.dynamodb: Any = None
        self.events: Any = None

    async def open(self) -> None:
        async with self._lock:
            if self._stack is not None:
                return
            stack = AsyncExitStack()
            try:
                self.dynamodb = await stack.enter_async_context(self._session.client("dynamodb", **self._kw))
                self.events = await stack.enter_async_context(self._session.client("events", **self._kw))
            except BaseException:
                await stack.aclose()
                raise
            self._stack = stack

    async def aclose(self, log: logging.Logger) -> None:
        async with self._lock:
            stack, self._stack = self._stack, None
            self.dynamodb = self.events = None
        if stack is not None:
            try:
                await stack.aclose()
            except Exception as exc:
                log.debug("closing relay clients: %s", exc)


class DynamoActivitySink:
    """A conditional PutItem per row: the slot is free, or holds this very event (an
    earlier attempt wrote it); another event there is a conflict."""

    def __init__(self, clients: AwsClients, table_name: str, log: logging.Logger, concurrency: int = 10) -> None:
        self._clients = clients
        self.table_name = table_name
        self._log = log
        self._limit = asyncio.Semaphore(concurrency)
        # Writes refused because the board/seq holds another event.
        self.conflicts_total = 0

    async def write(self, claimed: Sequence[Claimed]) -> None:
        await asyncio.gather(*(self._put_item(c) for c in claimed))

    async def _put_item(self, c: Claimed) -> None:
        async with self._limit:
            item = activity_item(c.payload)
            try:
                await self._clients.dynamodb.put_item(
                    TableName=self.table_name,
                    Item=item,
                    ConditionExpression="attribute_not_exists(PK) OR EventId = :id",
                    ExpressionAttributeValues={":id": item["EventId"]},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
                c.log_ok = True
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                    self._conflict(c, exc)
                else:
                    c.errors.append("activity log: " + error_text(exc))
            except Exception as exc:
                c.errors.append("activity log: " + error_text(exc))

    def _conflict(self, c: Claimed, exc: ClientError) -> None:
        """Another event holds this board/seq in the log: a seq was reused (a database
        restored to an earlier point).  Not a success: the row stays undelivered to
        the log, retried with backoff, counted and alarmed on until resolved."""
        held = exc.response.get("Item", {}).get("EventId", {}).get("S") or "another event"
        self.conflicts_total += 1
        c.errors.append(f"activity log: conflict: board {c.board_id} seq {c.seq} already holds event {held}, "
                        f"not {c.id}")
        self._log.error("activity log conflict: board %s seq %s holds event %s; event %s not written",
                        c.board_id, c.seq, held, c.id)


class EventBridgeSink:
    """PutEvents in batches of at most 10 entries / 256 KB; failed entries alone
    are retried (by the relay, later)."""

    def __init__(self, clients: AwsClients, event_bus: str) -> None:
        self._clients = clients
        self.event_bus = event_bus

    async def publish(self, claimed: Sequence[Claimed]) -> None:
        # One batch at a time: concurrent PutEvents calls measured slower in total
        # (moto's server timed out under ten at once) and would share one backoff anyway.
        for batch in self._batches(claimed):
            await self._put_batch(batch)

    def _batches(self, claimed: Sequence[Claimed]) -> list[list[tuple[Claimed, dict[str, Any]]]]:
        batches: list[list[tuple[Claimed, dict[str, Any]]]] = []
        current: list[tuple[Claimed, dict[str, Any]]] = []
        size = 0
        for c in claimed:
            entry = {"Source": SOURCE, "DetailType": c.detail_type, "Detail": event_detail(c.payload),
                     "EventBusName": self.event_bus}
            entry_size = _entry_size(entry)
            if current and (len(current) >= MAX_ENTRIES_PER_PUT or size + entry_size > MAX_PUT_BYTES):
                batches.append(current)
                current, size = [], 0
            current.append((c, entry))
            size += entry_size
        if current:
            batches.append(current)
        return batches

    async def _put_batch(self, batch: list[tuple[Claimed, dict[str, Any]]]) -> None:
        try:
            resp = await self._clients.events.put_events(Entries=[entry for _, entry in batch])
        except Exception as exc:
            for c, _ in batch:
                c.errors.append("event bus: " + error_text(exc))
            return
        results = resp.get("Entries", [])
        for index, (c, _) in enumerate(batch):
            result = results[index] if index < len(results) else {"ErrorCode": "MissingResult"}
            if result.get("ErrorCode") or not result.get("EventId"):
                code, text = result.get("ErrorCode", "NoEventId"), result.get("ErrorMessage", "")
                c.errors.append(f"event bus: {code}: {text}"[:MAX_ERROR_CHARS])
            else:
                c.bus_ok = True
