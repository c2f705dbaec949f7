"""Input types of the contract."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID, UNSET

from schema.scalars import Date
from schema.types import BoardRole, TaskStatus  # noqa: F401  (re-exported for the root types)


@strawberry.input
class SignUpInput:
    email: str
    name: str
    password: str


@strawberry.input
class CreateTaskInput:
    board_id: ID
    title: str
    description: str = ""
    status: TaskStatus = TaskStatus.TODO  # type: ignore[valid-type]
    deadline: Date | None = None
    assignee_id: ID | None = None
    label_ids: list[ID] | None = None


@strawberry.input(description="Absent fields stay as they are; an explicit null clears deadline or assignee.")
class UpdateTaskInput:
    title: str | None = UNSET
    description: str | None = UNSET
    status: TaskStatus | None = UNSET  # type: ignore[valid-type]
    deadline: Date | None = UNSET
    assignee_id: ID | None = UNSET
    label_ids: list[ID] | None = strawberry.field(
        default=UNSET, description="Replaces the task's labels (labels of the same board only).")
    expected_version: int | None = strawberry.field(
        default=UNSET, description="When given, the update fails with CONFLICT unless the task is at this version.")

    def changes(self) -> dict[str, Any]:
        given = {
            "title": self.title, "description": self.description, "status": self.status,
            "deadline": self.deadline, "assignee_id": self.assignee_id, "label_ids": self.label_ids,
        }
        return {k: v for k, v in given.items() if v is not UNSET}


@strawberry.input
class NotificationSettingsInput:
    email_on_task_change: bool | None = UNSET
    email_deadline_reminders: bool | None = UNSET
    sms_on_task_change: bool | None = UNSET
    phone_number: str | None = strawberry.field(
        default=UNSET, description="An explicit null removes the number; an invalid number is BAD_USER_INPUT.")
    email_on_mention: bool | None = strawberry.field(
        default=UNSET, description="Mail me when someone mentions me in a comment.")
