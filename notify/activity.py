"""The activity log read from the DynamoDB table the relay writes: a board's
history (partition `BOARD#<boardId>`) or a task's (GSI `ByTask`), newest first.

Paging uses a key condition `SK < <the cursor's seq>` rather than an
ExclusiveStartKey, so the cursor is the same small opaque string as the SQL
log's, and Limit first+1 tells whether there is a next page."""

from __future__ import annotations

import json
import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from notify.activity_port import ActivityEntry, ActivityPage, check_first, page_of, seq_below


def entry_from_item(item: dict[str, Any]) -> ActivityEntry:
    def s(key: str) -> str | None:
        value = item.get(key)
        return value.get("S") if isinstance(value, dict) else None

    changes_raw = s("Changes")
    changes = json.loads(changes_raw) if changes_raw else None
    seq_attr = item.get("Seq")
    seq_n = seq_attr.get("N") if isinstance(seq_attr, dict) else None
    seq = int(seq_n) if seq_n else int(s("SK") or 0)
    return ActivityEntry(
        id=s("EventId") or "",
        kind=s("ActivityKind") or "",
        board_id=s("BoardId") or (s("PK") or "").removeprefix("BOARD#"),
        task_id=s("TaskId"),
        actor_email=s("ActorEmail") or "",
        message=s("Message") or s("LogContent") or "",
        changes=changes if isinstance(changes, dict) else None,
        at=s("At") or s("Timestamp") or "",
        seq=seq,
    )


class DynamoActivityLog:
    def __init__(
        self,
        aws_session: Any,
        *,
        table_name: str,
        endpoint_url: str | None,
        region: str,
        index_name: str = "ByTask",
        client_config: Any = None,
    ) -> None:
        self._aws_session = aws_session
        self.table_name = table_name
        self.index_name = index_name
        self._kw: dict[str, Any] = {"endpoint_url": endpoint_url, "region_name": region}
        if client_config is not None:
            self._kw["config"] = client_config

    async def board_activity(self, board_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._query("PK", f"BOARD#{board_id}", None, first, after)

    async def task_activity(self, task_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._query("TaskPK", f"TASK#{task_id}", self.index_name, first, after)

    async def _query(self, key: str, value: str, index: str | None, first: int, after: str | None) -> ActivityPage:
        check_first(first)
        below = seq_below(after)
        condition = "#k = :k"
        values: dict[str, Any] = {":k": {"S": value}}
        if below is not None:
            condition += " AND SK < :below"
            values[":below"] = {"S": f"{below:012d}"}
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": first + 1,
        }
        if index:
            params["IndexName"] = index
        items: list[dict[str, Any]] = []
        async with self._aws_session.client("dynamodb", **self._kw) as ddb:
            # Limit counts items evaluated; without a filter one call returns them
            # all unless the 1 MB page limit cuts in, so follow LastEvaluatedKey.
            while len(items) < first + 1:
                resp = await ddb.query(**params)
                items.extend(resp.get("Items", []))
                last = resp.get("LastEvaluatedKey")
                if not last:
                    break
                params["ExclusiveStartKey"] = last
                params["Limit"] = first + 1 - len(items)
        return page_of([entry_from_item(i) for i in items[: first + 1]], first)


class FallbackActivityLog:
    """The DynamoDB log first; when DynamoDB cannot be reached, the `board_events`
    table, which holds every committed change with the same ids, seqs and cursors, so
    the activity panel keeps working (and keeps paging) while AWS is away."""

    def __init__(self, primary: Any, fallback: Any, logger: logging.Logger | None = None) -> None:
        self._primary = primary
        self._fallback = fallback
        self._log = logger or logging.getLogger("taskboard.notify.activity")

    async def board_activity(self, board_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._read("board_activity", board_id, first, after)

    async def task_activity(self, task_id: str, first: int, after: str | None) -> ActivityPage:
        return await self._read("task_activity", task_id, first, after)

    async def _read(self, method: str, key: str, first: int, after: str | None) -> ActivityPage:
        try:
            page: ActivityPage = await getattr(self._primary, method)(key, first, after)
        except (BotoCoreError, ClientError) as exc:
            self._log.warning("activity log unreachable (%s); reading the outbox table", type(exc).__name__)
            page = await getattr(self._fallback, method)(key, first, after)
        return page
