"""Comments on tasks: reading them, and the three changes.  A comment is a change
of the board (its seq, activity entry and bus event) but not of the task: the
task's version stays."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, func, insert, or_, select, update

from models.errors import ApiError, ErrorCode, bad_input
from models.ids import new_id
from models.table_refs import comments_t
from models.tables import ActivityKind, BoardEventKind, BoardRole, utcnow
from models.uow import LockedBoard, UnitOfWork
from resolvers import comment_events, validation
from resolvers.boards import locked_board_for, users_by_id
from resolvers.context import Ctx
from resolvers.loaders import BatchLoader
from resolvers.lookup import one_row, require_kind
from resolvers.pagination import decode_cursor, encode_cursor
from resolvers.records import TASK_COLUMNS, TaskRec, UserRec, members_t, tasks_t, users_t

COMMENT_NOT_FOUND = "Comment not found"
TASK_NOT_FOUND = "Task not found"
_CURSOR_TAG = "c"
# `@` and an address, at the start or after a space or an opening mark (so the
# `@` inside a plain address is not a mention); what trails the address (a full
# stop, a comma, a bracket) is not part of it.
_MENTION = re.compile(r"(?:(?<=^)|(?<=[\s(\[{<,;:'\"]))@([^\s@]+@[^\s@]+)")
_TRAILING = ".,;:!?)]}>'\""


@dataclass(slots=True)
class CommentRec:
    id: str
    task_id: str
    author_id: str
    body: str
    mention_ids: list[str]
    created_at: datetime
    edited_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> CommentRec:
        return cls(row.id, row.task_id, row.author_id, row.body, list(row.mention_ids or []), row.created_at,
                   row.edited_at)


_COLUMNS = (comments_t.c.id, comments_t.c.task_id, comments_t.c.author_id, comments_t.c.body,
            comments_t.c.mention_ids, comments_t.c.created_at, comments_t.c.edited_at)
_COMMENT = select(*_COLUMNS).where(comments_t.c.id == bindparam("comment_id"))
_TASK = select(*TASK_COLUMNS).where(tasks_t.c.id == bindparam("task_id"))
_TASK_BOARD = select(tasks_t.c.board_id).where(tasks_t.c.id == bindparam("task_id"))
_MEMBERS_BY_EMAIL = (
    select(users_t.c.id, users_t.c.email)
    .join(members_t, members_t.c.user_id == users_t.c.id)
    .where(members_t.c.board_id == bindparam("board_id"), users_t.c.email.in_(bindparam("emails", expanding=True)))
)


def mentioned_emails(body: str) -> list[str]:
    """The addresses `@`-mentioned in a body, lower-cased, in order, each once."""
    out: list[str] = []
    for m in _MENTION.finditer(body):
        address = m.group(1).rstrip(_TRAILING).lower()
        if address not in out:
            out.append(address)
    return out


def _body(value: str) -> str:
    return validation.text(value, validation.COMMENT_BODY)


async def _mentions(uow: UnitOfWork, board_id: str, body: str) -> list[str]:
    """The board's members the body mentions, as user ids in the order mentioned;
    an address that is not a member's is plain text."""
    emails = mentioned_emails(body)
    if not emails:
        return []
    rows = (await uow.conn.execute(_MEMBERS_BY_EMAIL, {"board_id": board_id, "emails": emails})).all()
    by_email = {r.email: r.id for r in rows}
    return [by_email[e] for e in emails if e in by_email]


@dataclass(slots=True)
class _Target:
    board: LockedBoard
    role: BoardRole
    task: TaskRec


async def _lock_task(uow: UnitOfWork, task_id: str, viewer_id: str, missing: str = TASK_NOT_FOUND) -> _Target:
    """Lock the task's board (NOT_FOUND `missing` for a non-member) and read the task under it."""
    require_kind(task_id, "Task", missing)
    board_id = (await one_row(uow.conn, missing, _TASK_BOARD, {"task_id": task_id})).board_id
    board, role = await locked_board_for(uow, board_id, viewer_id, missing)
    row = await one_row(uow.conn, missing, _TASK, {"task_id": task_id})  # (deleted before the lock was ours)
    return _Target(board, role, TaskRec.from_row(row))


async def _lock_comment(uow: UnitOfWork, comment_id: str, viewer_id: str) -> tuple[_Target, CommentRec]:
    require_kind(comment_id, "Comment", COMMENT_NOT_FOUND)
    task_id = (await one_row(uow.conn, COMMENT_NOT_FOUND, _COMMENT, {"comment_id": comment_id})).task_id
    target = await _lock_task(uow, task_id, viewer_id, COMMENT_NOT_FOUND)
    row = await one_row(uow.conn, COMMENT_NOT_FOUND, _COMMENT, {"comment_id": comment_id})
    return target, CommentRec.from_row(row)


async def _record(uow: UnitOfWork, target: _Target, kind: BoardEventKind, activity: ActivityKind, viewer_id: str,
                  comment: CommentRec, people: dict[str, UserRec], *, deleted: bool = False) -> None:
    task = target.task
    actor = people[viewer_id]
    await uow.record(
        target.board, kind=kind, activity_kind=activity, actor_id=viewer_id, actor_email=actor.email,
        actor_name=actor.name, task_id=task.id,
        payload=comment_events.payload(activity, task, comment, people, viewer_id, target.role, deleted=deleted),
    )


async def add_comment(ctx: Ctx, *, task_id: str, body: str) -> tuple[CommentRec, dict[str, UserRec]]:
    viewer_id = ctx.require_viewer()
    text = _body(body)
    async with ctx.uow() as uow:
        target = await _lock_task(uow, task_id, viewer_id)
        mention_ids = await _mentions(uow, target.board.id, text)
        people = await users_by_id(uow, viewer_id, target.task.supervisor_id, target.task.assignee_id, *mention_ids)
        comment = CommentRec(new_id("cmt"), task_id, viewer_id, text, mention_ids, utcnow())
        await uow.conn.execute(insert(comments_t).values(
            id=comment.id, task_id=task_id, author_id=viewer_id, body=text, mention_ids=mention_ids,
            created_at=comment.created_at, edited_at=None))
        await _record(uow, target, BoardEventKind.COMMENT_ADDED, ActivityKind.COMMENT_ADDED, viewer_id, comment,
                      people)
        await uow.commit()
    _prime(ctx, people)
    return comment, people


async def update_comment(ctx: Ctx, *, comment_id: str, body: str) -> tuple[CommentRec, dict[str, UserRec]]:
    viewer_id = ctx.require_viewer()
    text = _body(body)
    async with ctx.uow() as uow:
        target, comment = await _lock_comment(uow, comment_id, viewer_id)
        if comment.author_id != viewer_id:
            raise ApiError(ErrorCode.FORBIDDEN, "Only its author may edit a comment")
        mention_ids = await _mentions(uow, target.board.id, text)
        people = await users_by_id(uow, viewer_id, target.task.supervisor_id, target.task.assignee_id, *mention_ids)
        if text == comment.body and mention_ids == comment.mention_ids:
            return comment, people  # nothing changed: no event
        comment.body, comment.mention_ids, comment.edited_at = text, mention_ids, utcnow()
        await uow.conn.execute(update(comments_t).where(comments_t.c.id == comment_id).values(
            body=text, mention_ids=mention_ids, edited_at=comment.edited_at))
        await _record(uow, target, BoardEventKind.COMMENT_UPDATED, ActivityKind.COMMENT_UPDATED, viewer_id,
                      comment, people)
        await uow.commit()
    _prime(ctx, people)
    return comment, people


async def delete_comment(ctx: Ctx, *, comment_id: str) -> str:
    viewer_id = ctx.require_viewer()
    async with ctx.uow() as uow:
        target, comment = await _lock_comment(uow, comment_id, viewer_id)
        if comment.author_id != viewer_id and target.role != BoardRole.OWNER:
            raise ApiError(ErrorCode.FORBIDDEN, "Only its author and the board's owners may delete a comment")
        people = await users_by_id(uow, viewer_id, comment.author_id, target.task.supervisor_id,
                                   target.task.assignee_id)
        await uow.conn.execute(delete(comments_t).where(comments_t.c.id == comment_id))
        await _record(uow, target, BoardEventKind.COMMENT_DELETED, ActivityKind.COMMENT_DELETED, viewer_id,
                      comment, people, deleted=True)
        await uow.commit()
    return comment_id


def _prime(ctx: Ctx, people: dict[str, UserRec]) -> None:
    for user in people.values():
        ctx.loaders.users.prime(user.id, user)


async def get_comment(ctx: Ctx, comment_id: str) -> CommentRec:
    """A comment on a board the viewer is a member of; NOT_FOUND otherwise."""
    viewer_id = ctx.require_viewer()
    require_kind(comment_id, "Comment", COMMENT_NOT_FOUND)
    q = (select(*_COLUMNS).join(tasks_t, tasks_t.c.id == comments_t.c.task_id)
         .join(members_t, and_(members_t.c.board_id == tasks_t.c.board_id, members_t.c.user_id == viewer_id))
         .where(comments_t.c.id == comment_id))
    async with ctx.read() as s:
        return CommentRec.from_row(await one_row(s, COMMENT_NOT_FOUND, q))


@dataclass(slots=True)
class CommentPage:
    comments: list[CommentRec]
    cursors: list[str]
    has_next: bool


async def task_comments(ctx: Ctx, task_id: str, *, first: int | None, after: str | None) -> CommentPage:
    """A page of a task's comments, oldest first.  The caller has shown the task
    to the viewer (a `Task` is only built for a member of its board)."""
    n = ctx.page_size(first)
    if not after:
        found = await _first_pages(ctx).load((task_id, n)) or []
        return _page(found, n)
    where = [comments_t.c.task_id == task_id]
    if after:
        _, raw_at, last_id = decode_cursor(after, 3, _CURSOR_TAG)
        try:
            at = datetime.fromisoformat(raw_at)
            if at.tzinfo is None or not isinstance(last_id, str):
                raise ValueError
        except (TypeError, ValueError):
            raise bad_input("Invalid cursor", "after") from None
        where.append(or_(comments_t.c.created_at > at,
                         and_(comments_t.c.created_at == at, comments_t.c.id > last_id)))
    q = select(*_COLUMNS).where(*where).order_by(comments_t.c.created_at, comments_t.c.id).limit(n + 1)
    async with ctx.read() as s:
        rows = (await s.execute(q)).all()
    return _page([CommentRec.from_row(r) for r in rows], n)


def _page(found: list[CommentRec], n: int) -> CommentPage:
    """`found`: up to n + 1 comments in order (one more tells there is a next page)."""
    comments = found[:n]
    cursors = [encode_cursor(_CURSOR_TAG, c.created_at.isoformat(), c.id) for c in comments]
    return CommentPage(comments, cursors, len(found) > n)


def _first_pages(ctx: Ctx) -> BatchLoader[tuple[str, int], list[CommentRec]]:
    """The request's loader of the first page of comments by (task, page size): a
    page of tasks with their comments costs one query, not one a task."""
    loader: BatchLoader[tuple[str, int], list[CommentRec]] | None = getattr(ctx.loaders, "_comment_pages", None)
    if loader is None:
        async def fetch(keys: list[tuple[str, int]]) -> dict[tuple[str, int], list[CommentRec]]:
            by_size: dict[int, list[str]] = {}
            for task_id, n in keys:
                by_size.setdefault(n, []).append(task_id)
            out: dict[tuple[str, int], list[CommentRec]] = {}
            async with ctx.read() as s:
                for n, ids in by_size.items():
                    found: dict[str, list[CommentRec]] = {i: [] for i in ids}
                    for r in await s.execute(_first_page_statement(), {"ids": ids, "limit": n + 1}):
                        found[r.task_id].append(CommentRec.from_row(r))
                    out.update(((i, n), page) for i, page in found.items())
            return out

        loader = BatchLoader(fetch)
        ctx.loaders._comment_pages = loader  # type: ignore[attr-defined]
    return loader


@lru_cache(maxsize=1)
def _first_page_statement() -> Select[Any]:
    place = func.row_number().over(partition_by=comments_t.c.task_id,
                                   order_by=(comments_t.c.created_at, comments_t.c.id)).label("place")
    ranked = select(*_COLUMNS, place).where(comments_t.c.task_id.in_(bindparam("ids", expanding=True))).subquery()
    return (select(*(ranked.c[c.name] for c in _COLUMNS)).where(ranked.c.place <= bindparam("limit"))
            .order_by(ranked.c.task_id, ranked.c.place))


_COUNTS = (select(comments_t.c.task_id, func.count()).where(comments_t.c.task_id.in_(bindparam("ids", expanding=True)))
           .group_by(comments_t.c.task_id))


def comment_counts(ctx: Ctx) -> BatchLoader[str, int]:
    """The request's loader of comment counts by task: a page of tasks costs one query."""
    loader: BatchLoader[str, int] | None = getattr(ctx.loaders, "_comment_counts", None)
    if loader is None:
        async def fetch(ids: list[str]) -> dict[str, int]:
            async with ctx.read() as s:
                found = {r[0]: int(r[1]) for r in await s.execute(_COUNTS, {"ids": ids})}
            return {i: found.get(i, 0) for i in ids}

        loader = BatchLoader(fetch)
        ctx.loaders._comment_counts = loader  # type: ignore[attr-defined]
    return loader
