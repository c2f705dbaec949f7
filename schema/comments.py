"""Comments on tasks: the `Comment` type, its connection, and the three mutations."""

from __future__ import annotations

import strawberry
from strawberry import ID, Private

from models.errors import not_found, not_yet
from schema.context import Info
from schema.scalars import DateTime
from schema.types import Node, PageInfo, User


@strawberry.type
class Comment(Node):
    id: ID
    task_id: ID
    body: str = strawberry.field(
        description="Plain text (at most 10,000 characters); clients render it as text, never as HTML.")
    created_at: DateTime
    edited_at: DateTime | None
    _author_id: Private[str]
    _mention_ids: Private[list[str]]

    @strawberry.field
    async def author(self, info: Info) -> User:
        u = await info.context.loaders.users.load(self._author_id)
        if u is None:
            raise not_found("User not found")
        return User.of(u)

    @strawberry.field(description="Members mentioned in it; each gets a mail (emailOnMention) unless they wrote it.")
    async def mentions(self, info: Info) -> list[User]:
        found = await info.context.loaders.users.load_many(self._mention_ids)
        return [User.of(u) for u in found if u is not None]


@strawberry.type
class CommentEdge:
    cursor: str
    node: Comment


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class CommentMutation:
    @strawberry.mutation
    async def add_comment(self, info: Info, task_id: ID, body: str) -> Comment:
        raise not_yet("addComment")

    @strawberry.mutation(description="The author only.")
    async def update_comment(self, info: Info, id: ID, body: str) -> Comment:
        raise not_yet("updateComment")

    @strawberry.mutation(description="The author and the board's owners.")
    async def delete_comment(self, info: Info, id: ID) -> ID:
        raise not_yet("deleteComment")
