"""What a client needs to offer only what the server accepts (extensions of the
contract): the viewer's permissions on a task, and the input limits.  Both read
the rules the mutations enforce (`resolvers.permissions`, `resolvers.validation`),
never a copy of them."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from models.errors import not_found
from resolvers import permissions, validation
from resolvers.label_store import MAX_LABELS_PER_TASK
from schema.context import Info


@strawberry.type(description=(
    "What the viewer may do to a task, by the rules the mutations enforce; each refusal comes with the "
    "sentence to show beside the control that is off (an extension of the contract)."))
class TaskPermissions:
    update: bool = strawberry.field(description="updateTask (title, description, status, deadline, assignee, labels).")
    move: bool = strawberry.field(description="moveTask (drag and drop).")
    delete: bool = strawberry.field(description="deleteTask.")
    comment: bool = strawberry.field(description="addComment.")
    update_reason: str | None = strawberry.field(description="Why not, when update is false.")
    move_reason: str | None = strawberry.field(description="Why not, when move is false.")
    delete_reason: str | None = strawberry.field(description="Why not, when delete is false.")
    comment_reason: str | None = strawberry.field(description="Why not, when comment is false.")


@dataclass(frozen=True, slots=True)
class _InCharge:
    supervisor_id: str
    assignee_id: str | None


async def task_permissions(info: Info, board_id: str, supervisor_id: str, assignee_id: str | None
                           ) -> TaskPermissions:
    """The viewer's role comes from the per-request board loader: a page of tasks
    costs at most one query for it (none on a board page, whose board is loaded)."""
    ctx = info.context
    viewer_id = ctx.require_viewer()
    board = await ctx.loaders.boards.load(board_id)
    if board is None:
        raise not_found("Task not found")
    role, task = board.viewer_role, _InCharge(supervisor_id, assignee_id)
    update = permissions.update_refused(viewer_id, task, role)
    move = permissions.move_refused(viewer_id, task, role)
    delete = permissions.delete_refused(viewer_id, task, role)
    comment = permissions.comment_refused(viewer_id, task, role)
    return TaskPermissions(update=update is None, move=move is None, delete=delete is None,
                           comment=comment is None, update_reason=update, move_reason=move,
                           delete_reason=delete, comment_reason=comment)


@strawberry.type(description=(
    "The longest (and shortest) inputs the server accepts, from the same rules its checks use; clients "
    "size their fields by them (an extension of the contract, open to anonymous callers: sign-up needs them)."))
class Limits:
    title_max_length: int = validation.TASK_TITLE.max_len
    description_max_length: int = validation.TASK_DESCRIPTION.max_len
    board_name_max_length: int = validation.BOARD_NAME.max_len
    label_name_max_length: int = validation.LABEL_NAME.max_len
    comment_max_length: int = validation.COMMENT_BODY.max_len
    person_name_max_length: int = validation.PERSON_NAME.max_len
    search_max_length: int = validation.MAX_SEARCH
    labels_per_task: int = MAX_LABELS_PER_TASK
    password_min_length: int = MIN_PASSWORD_LENGTH
    password_max_length: int = MAX_PASSWORD_LENGTH
    page_size: int = strawberry.field(default=100, description="The most items one page (`first`) may ask for.")


@strawberry.type
class ClientQuery:
    @strawberry.field(description="Input limits (an extension of the contract).")
    def limits(self, info: Info) -> Limits:
        return Limits(page_size=info.context.services.max_page_size)
