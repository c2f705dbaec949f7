"""The board's manual order: `moveTask` (drag and drop)."""

from __future__ import annotations

import strawberry
from strawberry import ID

from resolvers.moves import move_task
from schema.context import Info
from schema.types import Task, TaskStatus, task_of


@strawberry.input(description="Where a moved task lands: its new status column and, optionally, its neighbours "
                              "there.\nWith neither neighbour it goes to the end of the column.")
class MoveTaskInput:
    status: TaskStatus  # type: ignore[valid-type]
    after_task_id: ID | None = strawberry.field(default=None,
                                                description="Place it right after this task of the target column.")
    before_task_id: ID | None = strawberry.field(default=None,
                                                 description="Place it right before this task of the target column.")
    expected_version: int | None = None


@strawberry.type
class MoveMutation:
    @strawberry.mutation(description="Moves a task to a column and a place in it (drag and drop).")
    async def move_task(self, info: Info, id: ID, input: MoveTaskInput) -> Task:
        task = await move_task(info.context, str(id), status=input.status,
                               after_id=str(input.after_task_id) if input.after_task_id else None,
                               before_id=str(input.before_task_id) if input.before_task_id else None,
                               expected_version=input.expected_version)
        return await task_of(info.context, task)
