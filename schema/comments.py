"""Comments on tasks: the `Comment` type, its connection, and the three mutations."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import ID, Private

from models.errors import not_found
from resolvers import comments as comment_ops
from resolvers.records import UserRec
from schema.accounts import User
from schema.common import Node, PageInfo
from schema.context import Info
from schema.scalars import DateTime, parse_datetime


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
    # The people as the change saw them (events carry them); None: load them.
    _people: Private[dict[str, UserRec] | None] = None

    @strawberry.field
    async def author(self, info: Info) -> User:
        u = (self._people or {}).get(self._author_id) or await info.context.loaders.users.load(self._author_id)
        if u is None:
            raise not_found("User not found")
        return User.of(u)

    @strawberry.field(description="Members mentioned in it; each gets a mail (emailOnMention) unless they wrote it.")
    async def mentions(self, info: Info) -> list[User]:
        known = self._people or {}
        missing = [i for i in self._mention_ids if i not in known]
        loaded = dict(zip(missing, await info.context.loaders.users.load_many(missing), strict=True))
        found = [known.get(i) or loaded.get(i) for i in self._mention_ids]
        return [User.of(u) for u in found if u is not None]

    @classmethod
    def of(cls, c: comment_ops.CommentRec, people: dict[str, UserRec] | None = None) -> Comment:
        return cls(id=ID(c.id), task_id=ID(c.task_id), body=c.body, created_at=c.created_at,  # type: ignore[arg-type]
                   edited_at=c.edited_at, _author_id=c.author_id, _mention_ids=c.mention_ids,  # type: ignore[arg-type]
                   _people=people)

    @classmethod
    def snapshot(cls, c: dict[str, Any]) -> Comment:
        """The comment as an event carries it (see resolvers.comment_events.comment_json)."""
        people = {u["id"]: _user(u) for u in [c.get("author"), *c.get("mentions", [])] if u}
        return cls(id=ID(c["id"]), task_id=ID(c["taskId"]), body=c["body"],
                   created_at=parse_datetime(c["createdAt"]),  # type: ignore[arg-type]
                   edited_at=parse_datetime(c["editedAt"]) if c.get("editedAt") else None,  # type: ignore[arg-type]
                   _author_id=(c.get("author") or {}).get("id", ""),
                   _mention_ids=[u["id"] for u in c.get("mentions", [])], _people=people)


def _user(u: dict[str, Any]) -> UserRec:
    return UserRec(id=u["id"], email=u["email"], name=u["name"], created_at=parse_datetime(u["createdAt"]))


@strawberry.type
class CommentEdge:
    cursor: str
    node: Comment


@strawberry.type
class CommentConnection:
    edges: list[CommentEdge]
    page_info: PageInfo
    _task_id: Private[str]

    @strawberry.field
    async def total_count(self, info: Info) -> int:
        return await comment_ops.comment_counts(info.context).load(self._task_id) or 0

    @classmethod
    def of(cls, task_id: str, page: comment_ops.CommentPage) -> CommentConnection:
        edges = [CommentEdge(cursor=cur, node=Comment.of(c)) for c, cur in zip(page.comments, page.cursors,
                                                                                strict=True)]
        end = page.cursors[-1] if page.cursors else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=end), _task_id=task_id)


async def task_comments(info: Info, task_id: str, first: int | None, after: str | None) -> CommentConnection:
    page = await comment_ops.task_comments(info.context, task_id, first=first, after=after)
    return CommentConnection.of(task_id, page)


@strawberry.type
class CommentMutation:
    @strawberry.mutation
    async def add_comment(self, info: Info, task_id: ID, body: str) -> Comment:
        comment, people = await comment_ops.add_comment(info.context, task_id=str(task_id), body=body)
        return Comment.of(comment, people)

    @strawberry.mutation(description="The author only.")
    async def update_comment(self, info: Info, id: ID, body: str) -> Comment:
        comment, people = await comment_ops.update_comment(info.context, comment_id=str(id), body=body)
        return Comment.of(comment, people)

    @strawberry.mutation(description="The author and the board's owners.")
    async def delete_comment(self, info: Info, id: ID) -> ID:
        return ID(await comment_ops.delete_comment(info.context, comment_id=str(id)))
