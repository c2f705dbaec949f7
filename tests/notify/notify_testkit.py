"""Helpers of the notify tests (imported by conftest and the tests; a unique module
name because tests/ directories are not packages)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import aioboto3
import boto3
from botocore.config import Config
from notify_db import Db
from notify_db import MysqlDatabases as MysqlDatabases  # re-exported: the tests import them from here
from notify_db import open_mysql_db as open_mysql_db

from models.ids import new_id
from models.tables import LOG_TYPES, ActivityKind, Board, BoardEventKind, BoardEventRow, User, utcnow
from models.uow import UnitOfWork

REGION = "us-east-1"
MAIL_FROM = "noreply@taskboard.local"

_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_AWS_UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL")


def sync_client(service: str, endpoint_url: str, **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        config=Config(retries={"mode": "standard", "total_max_attempts": 2}, **config),
    )


@dataclass
class AwsEnv:
    endpoint_url: str
    table: str
    bus: str
    queue: str
    queue_url: str
    dlq_url: str
    mail_from: str
    session: aioboto3.Session
    resources: dict[str, Any]

    def client(self, service: str, endpoint_url: str | None = None) -> Any:
        return sync_client(service, endpoint_url or self.endpoint_url)

    def drain_queue(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Every message currently visible on the queue (deleted as read), as parsed bodies."""
        sqs = self.client("sqs")
        out: list[dict[str, Any]] = []
        while True:
            resp = sqs.receive_message(QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = resp.get("Messages", [])
            if not messages:
                return out
            for message in messages:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url or self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def activity_items(self, board_id: str) -> list[dict[str, Any]]:
        ddb = self.client("dynamodb")
        resp = ddb.query(
            TableName=self.table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"BOARD#{board_id}"}},
        )
        return list(resp["Items"])


def person(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "name": user.name}


async def add_user(
    db: Db,
    email: str | None = None,
    name: str = "Someone",
    *,
    reminders: bool = True,
    email_on_change: bool = True,
    phone: str | None = None,
    verified: bool = True,
) -> User:
    user = User(
        id=new_id("usr"),
        email=email or f"{uuid.uuid4().hex[:8]}@example.com",
        name=name,
        password_hash="x",
        created_at=utcnow(),
        email_on_task_change=email_on_change,
        email_deadline_reminders=reminders,
        sms_on_task_change=phone is not None,
        phone_number=phone,
        email_verified_at=utcnow() if verified else None,
        phone_verified_at=utcnow() if verified and phone else None,
    )
    async with db.session_factory() as session:
        session.add(user)
        await session.commit()
    return user


async def add_board(db: Db, owner: User, name: str = "Sprint 3") -> Board:
    board = Board(id=new_id("brd"), name=name, created_at=utcnow(), created_by=owner.id, event_seq=0)
    async with db.session_factory() as session:
        session.add(board)
        await session.commit()
    return board


def task_snapshot(
    board: Board,
    supervisor: User,
    assignee: User | None,
    *,
    task_id: str | None = None,
    title: str = "CI/CD Test",
    status: str = "TODO",
    deadline: date | None = None,
    version: int = 1,
    description: str = "",
) -> dict[str, Any]:
    now = "2023-06-23T07:34:16.948Z"
    return {
        "id": task_id or new_id("tsk"),
        "boardId": board.id,
        "title": title,
        "description": description,
        "status": status,
        "deadline": deadline.isoformat() if deadline else None,
        "version": version,
        "createdAt": now,
        "updatedAt": now,
        "supervisor": person(supervisor),
        "assignee": person(assignee) if assignee else None,
    }


def recipient(user: User, reason: str, *, send_email: bool = True, sms: str | None = None) -> dict[str, Any]:
    return {
        "userId": user.id,
        "email": user.email,
        "name": user.name,
        "reason": reason,
        "sendEmail": send_email,
        "smsNumber": sms,
    }


async def record(
    db: Db,
    board: Board,
    actor: User,
    *,
    activity_kind: ActivityKind = ActivityKind.TASK_STATUS_CHANGED,
    kind: BoardEventKind = BoardEventKind.TASK_UPDATED,
    task: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    recipients: Sequence[dict[str, Any]] = (),
    message: str | None = None,
    listeners: Sequence[Any] = (),
    extra: dict[str, Any] | None = None,
    lease_seconds: float | None = None,
) -> BoardEventRow:
    """One committed change, written through the unit of work exactly as the app does."""
    task_id = task["id"] if task else None
    payload = {
        "logType": LOG_TYPES[activity_kind],
        "task": task,
        "member": None,
        "changes": changes,
        "message": message
        or f"Supervisor {actor.email} {LOG_TYPES[activity_kind]} Task {task['title'] if task else '-'}",
        "recipients": list(recipients),
        **(extra or {}),
    }
    uow = UnitOfWork(db.engine, db.gate, listeners=listeners, lease_seconds=lease_seconds)
    async with uow:
        locked = await uow.lock_board(board.id)
        assert locked is not None
        row = await uow.record(
            locked,
            kind=kind,
            activity_kind=activity_kind,
            actor_id=actor.id,
            actor_email=actor.email,
            task_id=task_id,
            payload=payload,
        )
        await uow.commit()
    return row


async def rows(db: Db) -> list[BoardEventRow]:
    from sqlalchemy import select

    async with db.session_factory() as session:
        result = await session.execute(select(BoardEventRow).order_by(BoardEventRow.created_at, BoardEventRow.seq))  # type: ignore[arg-type]
        return list(result.scalars())


# --- a task event as EventBridge delivers it -------------------------------------------


def fake_person(name: str) -> dict[str, str]:
    return {
        "id": f"usr_{uuid.uuid4().hex[:8]}",
        "email": f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com",
        "name": name,
    }


def task_event(detail_type: str = "TaskStatusChanged", title: str = "CI/CD Test", **over: Any) -> dict[str, Any]:
    sup, dev, quiet = fake_person("Ocean"), fake_person("Dev"), fake_person("Quiet")
    actor = fake_person("Boss")
    detail = {
        "eventId": str(uuid.uuid4()),
        "seq": 7,
        "boardId": "brd_x",
        "boardName": "Sprint 3",
        "kind": "TASK_UPDATED",
        "activityKind": "TASK_STATUS_CHANGED",
        "detailType": detail_type,
        "logType": "StatusChange",
        "taskId": "tsk_x",
        "task": {
            "id": "tsk_x",
            "boardId": "brd_x",
            "title": title,
            "description": "",
            "status": "DONE",
            "deadline": "2023-06-22",
            "version": 3,
            "createdAt": "2023-06-20T01:00:00.000Z",
            "updatedAt": "2023-06-23T07:34:16.948Z",
            "supervisor": sup,
            "assignee": dev,
        },
        "member": None,
        "actorId": actor["id"],
        "actorEmail": actor["email"],
        "actorName": actor["name"],
        "changes": {"status": {"from": "TODO", "to": "DONE"}},
        "message": f"Supervisor {actor['email']} Done Task {title} at 2023-06-23T07:34:16.948Z",
        "at": "2023-06-23T07:34:16.948Z",
        "recipients": [
            {
                "userId": sup["id"],
                "email": sup["email"],
                "name": sup["name"],
                "reason": "supervisor",
                "sendEmail": True,
                "smsNumber": None,
            },
            {
                "userId": dev["id"],
                "email": dev["email"],
                "name": dev["name"],
                "reason": "assignee",
                "sendEmail": True,
                "smsNumber": "+821012345678",
            },
            {
                "userId": quiet["id"],
                "email": quiet["email"],
                "name": quiet["name"],
                "reason": "previousAssignee",
                "sendEmail": False,
                "smsNumber": "+821099998888",
            },
        ],
    }
    detail.update(over)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": "taskboard",
        "account": "123456789012",
        "time": "2023-06-23T07:34:17Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }
