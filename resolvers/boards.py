"""Boards and their members."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, delete, insert, select, update

from models.errors import ApiError, ErrorCode, not_found
from models.ids import kind_of, new_id
from models.tables import ActivityKind, BoardEventKind, BoardRole, utcnow
from models.uow import LockedBoard, UnitOfWork
from resolvers import account_events, events, validation
from resolvers.context import Ctx
from resolvers.records import (
    TASK_COLUMNS,
    USER_COLUMNS,
    USERS_IN,
    BoardRec,
    MemberRec,
    TaskRec,
    UserRec,
    boards_t,
    members_t,
    tasks_t,
    users_t,
    viewer_boards,
)

BOARD_NOT_FOUND = "Board not found"


async def visible_board(ctx: Ctx, board_id: str, missing: str = BOARD_NOT_FOUND) -> BoardRec:
    """The board if the viewer is a member; NOT_FOUND otherwise (existence is not
    leaked; with `missing`, the message of the thing on the board sought)."""
    ctx.require_viewer()
    if kind_of(board_id) != "Board":
        raise not_found(missing)
    board = await ctx.loaders.boards.load(board_id)
    if board is None:
        raise not_found(missing)
    return board


# Built once: a statement built per call costs more CPU than its round trip.
_VIEWER_BOARDS = viewer_boards(bindparam("viewer_id", type_=String)).order_by(boards_t.c.created_at, boards_t.c.id)


async def list_boards(ctx: Ctx) -> list[BoardRec]:
    viewer_id = ctx.require_viewer()
    async with ctx.read() as s:
        rows = (await s.execute(_VIEWER_BOARDS, {"viewer_id": viewer_id})).all()
    out = [BoardRec.from_row(r) for r in rows]
    for b in out:
        ctx.loaders.boards.prime(b.id, b)
    return out


async def create_board(ctx: Ctx, *, name: str) -> BoardRec:
    viewer_id = ctx.require_viewer()
    name = validation.text(name, validation.BOARD_NAME)
    board = BoardRec(id=new_id("brd"), name=name, created_at=utcnow(), viewer_role=BoardRole.OWNER)
    async with ctx.write() as s:
        await s.execute(
            insert(boards_t).values(
                id=board.id, name=name, created_at=board.created_at, created_by=viewer_id, event_seq=0
            )
        )
        await s.execute(
            insert(members_t).values(board_id=board.id, user_id=viewer_id, role=BoardRole.OWNER.value,
                                     added_at=board.created_at)
        )
        await s.commit()
    return board


# Built once: on a mutation's path, building a statement costs more CPU than its round trip.
_ROLE = select(members_t.c.role).where(members_t.c.board_id == bindparam("board_id"),
                                       members_t.c.user_id == bindparam("user_id"))


async def role_in(uow: UnitOfWork, board_id: str, user_id: str) -> BoardRole | None:
    role = (await uow.conn.execute(_ROLE, {"board_id": board_id, "user_id": user_id})).scalar_one_or_none()
    return None if role is None else BoardRole(role)


async def user_by(uow: UnitOfWork, **where: Any) -> UserRec | None:
    (col, value), = where.items()
    row = (await uow.conn.execute(select(*USER_COLUMNS).where(users_t.c[col] == value))).first()
    return None if row is None else UserRec.from_row(row)


async def actor(uow: UnitOfWork, viewer_id: str) -> UserRec:
    """The viewer making a change; their account gone meanwhile (deleted) is UNAUTHENTICATED."""
    user = await user_by(uow, id=viewer_id)
    if user is None:
        raise ApiError(ErrorCode.UNAUTHENTICATED, "Your account no longer exists.")
    return user


async def users_by_id(uow: UnitOfWork, *ids: str | None) -> dict[str, UserRec]:
    """The users with these ids (None and repeats ignored), in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await uow.conn.execute(USERS_IN, {"ids": sorted(wanted)})
    return {r.id: UserRec.from_row(r) for r in rows}


async def locked_board_for(uow: UnitOfWork, board_id: str, viewer_id: str,
                           missing: str = BOARD_NOT_FOUND) -> tuple[Any, BoardRole]:
    """Lock the board and return it with the viewer's role; NOT_FOUND for
    non-members (with `missing`, the message of the thing on the board sought)."""
    if kind_of(board_id) != "Board":
        raise not_found(missing)
    board = await uow.lock_board(board_id, member_id=viewer_id)
    if board is None or board.role is None:
        raise not_found(missing)
    return board, board.role


async def add_member(ctx: Ctx, *, board_id: str, email: str, role: BoardRole) -> MemberRec:
    viewer_id = ctx.require_viewer()
    email = email.strip().lower()
    async with ctx.uow() as uow:
        board, viewer_role = await locked_board_for(uow, board_id, viewer_id)
        if viewer_role != BoardRole.OWNER:
            raise ApiError(ErrorCode.FORBIDDEN, "Only the board's owners manage its members")
        user = await user_by(uow, email=email)
        if user is None:
            raise not_found("No user with that email")
        if await role_in(uow, board_id, user.id) is not None:
            raise ApiError(ErrorCode.CONFLICT, "That user is already a member of this board")
        actor = await user_by(uow, id=viewer_id)
        assert actor is not None
        member = MemberRec(board_id, user.id, role, utcnow())
        await uow.conn.execute(
            insert(members_t).values(board_id=board_id, user_id=user.id, role=role.value, added_at=member.added_at)
        )
        message = events.member_message(True, events.actor_title(viewer_id, None, viewer_role), actor.email,
                                        user, board.name, member.added_at)
        await uow.record(
            board, kind=BoardEventKind.MEMBER_ADDED, activity_kind=ActivityKind.MEMBER_ADDED,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=None,
            payload=events.base_payload(
                ActivityKind.MEMBER_ADDED, message, member.added_at, member=events.member_json(member, user),
                recipients=account_events.added_recipients(ctx.services.public_url, viewer_id, user, board_id)),
        )
        await uow.commit()
    ctx.loaders.users.prime(user.id, user)
    return member


# A member's tasks, in the order they are unassigned.
_ASSIGNED = (select(*TASK_COLUMNS)
             .where(tasks_t.c.board_id == bindparam("board_id"), tasks_t.c.assignee_id == bindparam("user_id"))
             .order_by(tasks_t.c.created_at, tasks_t.c.id))
_OWNERS = select(members_t.c.user_id).where(members_t.c.board_id == bindparam("board_id"),
                                            members_t.c.role == BoardRole.OWNER.value)


async def remove_member(ctx: Ctx, *, board_id: str, user_id: str) -> bool:
    """Owners remove anyone; a member may leave.  The last owner cannot go.  The
    member's tasks are unassigned first (an assignee must be a member), each as a
    change of its own."""
    viewer_id = ctx.require_viewer()
    async with ctx.uow() as uow:
        board, viewer_role = await locked_board_for(uow, board_id, viewer_id)
        if viewer_role != BoardRole.OWNER and user_id != viewer_id:
            raise ApiError(ErrorCode.FORBIDDEN, "Only the board's owners manage its members")
        target_role = await role_in(uow, board_id, user_id) if kind_of(user_id) == "User" else None
        if target_role is None:
            raise not_found("That user is not a member of this board")
        if target_role == BoardRole.OWNER:
            owners = (await uow.conn.execute(_OWNERS, {"board_id": board_id})).scalars().all()
            if len(owners) <= 1:
                raise ApiError(ErrorCode.CONFLICT, "A board keeps at least one owner")
        now = utcnow()
        tasks = [TaskRec.from_row(r) for r in await uow.conn.execute(_ASSIGNED, {"board_id": board_id,
                                                                                 "user_id": user_id})]
        # Everyone the changes name (the actor, the member, their tasks' supervisors): one query.
        people = await users_by_id(uow, viewer_id, user_id, *(task.supervisor_id for task in tasks))
        actor, target = people[viewer_id], people[user_id]
        for task in tasks:
            await _unassign(uow, board, viewer_id, viewer_role, task, people, now)
        member = MemberRec(board_id, user_id, target_role, now)
        await uow.conn.execute(
            delete(members_t).where(members_t.c.board_id == board_id, members_t.c.user_id == user_id)
        )
        who = events.actor_title(viewer_id, None, viewer_role)
        message = events.member_message(False, who, actor.email, target, board.name, now)
        await uow.record(
            board, kind=BoardEventKind.MEMBER_REMOVED, activity_kind=ActivityKind.MEMBER_REMOVED,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=None,
            payload=events.base_payload(ActivityKind.MEMBER_REMOVED, message, now,
                                        member=events.member_json(member, target)),
        )
        await uow.commit()
    return True


async def _unassign(uow: UnitOfWork, board: LockedBoard, viewer_id: str, viewer_role: BoardRole, before: TaskRec,
                    people: dict[str, UserRec], now: datetime) -> None:
    """A leaving member's task without its assignee: a new version and its event."""
    after = replace(before, assignee_id=None, version=before.version + 1, updated_at=now)
    await uow.conn.execute(
        update(tasks_t).where(tasks_t.c.id == before.id).values(assignee_id=None, version=after.version,
                                                                updated_at=now)
    )
    actor, supervisor, target = people[viewer_id], people[before.supervisor_id], people[before.assignee_id or ""]
    who = events.actor_title(viewer_id, before, viewer_role)
    message = events.task_message(ActivityKind.TASK_ASSIGNED, who, actor.email, after, now)
    await uow.record(
        board, kind=BoardEventKind.TASK_UPDATED, activity_kind=ActivityKind.TASK_ASSIGNED,
        actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=before.id,
        payload=events.base_payload(
            ActivityKind.TASK_ASSIGNED, message, now,
            task=events.task_json(after, supervisor, None),
            changes={"assignee": {"from": target.id, "to": None}},
            recipients=events.recipients(viewer_id, [("supervisor", supervisor), ("previousAssignee", target)]),
        ),
    )
