"""The boards area's labels, and renaming and deleting a board."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID

from resolvers import board_admin, labels
from resolvers.label_store import LabelRec
from schema.boards import Board
from schema.common import Node
from schema.context import Info


@strawberry.type
class Label(Node):
    id: ID
    name: str
    color: str = strawberry.field(description="#rrggbb")

    @classmethod
    def of(cls, rec: LabelRec | dict[str, Any]) -> Label:
        """From a record, or from the label an event carries."""
        if isinstance(rec, dict):
            return cls(id=ID(rec["id"]), name=rec["name"], color=rec["color"])
        return cls(id=ID(rec.id), name=rec.name, color=rec.color)


@strawberry.type
class LabelMutation:
    @strawberry.mutation
    async def create_label(self, info: Info, board_id: ID, name: str, color: str) -> Label:
        return Label.of(await labels.create_label(info.context, board_id=str(board_id), name=name, color=color))

    @strawberry.mutation
    async def update_label(self, info: Info, id: ID, name: str | None = None, color: str | None = None) -> Label:
        return Label.of(await labels.update_label(info.context, str(id), name=name, color=color))

    @strawberry.mutation
    async def delete_label(self, info: Info, id: ID) -> ID:
        return ID(await labels.delete_label(info.context, str(id)))


@strawberry.type
class BoardAdminMutation:
    @strawberry.mutation
    async def rename_board(self, info: Info, id: ID, name: str) -> Board:
        return Board.of(await board_admin.rename_board(info.context, str(id), name=name))

    @strawberry.mutation(description="Owners only. Deletes the board with its tasks, comments and labels; "
                                     "the activity log keeps its history.")
    async def delete_board(self, info: Info, id: ID) -> ID:
        return ID(await board_admin.delete_board(info.context, str(id)))
