"""A board's roles and leaving it.  A board always keeps an owner: every rule
here counts the owners under the board's row lock."""

from __future__ import annotations

from sqlalchemy import func, select, update

from models.errors import ApiError, ErrorCode, not_found
from models.ids import kind_of
from models.tables import ActivityKind, BoardEventKind, BoardRole, utcnow
from models.uow import UnitOfWork
from resolvers import account_events, boards, events
from resolvers.context import Ctx
from resolvers.records import MemberRec, members_t

NOT_A_MEMBER = "That user is not a member of this board"
LAST_OWNER = "A board keeps at least one owner"


async def owner_count(uow: UnitOfWork, board_id: str) -> int:
    q = select(func.count()).select_from(members_t).where(members_t.c.board_id == board_id,
                                                           members_t.c.role == BoardRole.OWNER.value)
    return int((await uow.conn.execute(q)).scalar_one())


async def change_role(ctx: Ctx, *, board_id: str, user_id: str, role: BoardRole) -> MemberRec:
    viewer_id = ctx.require_viewer()
    async with ctx.uow() as uow:
        board, viewer_role = await boards.locked_board_for(uow, board_id, viewer_id)
        if viewer_role != BoardRole.OWNER:
            raise ApiError(ErrorCode.FORBIDDEN, "Only the board's owners manage its members")
        row = None
        if kind_of(user_id) == "User":
            row = (await uow.conn.execute(
                select(members_t.c.role, members_t.c.added_at)
                .where(members_t.c.board_id == board_id, members_t.c.user_id == user_id))).first()
        if row is None:
            raise not_found(NOT_A_MEMBER)
        before = BoardRole(row.role)
        member = MemberRec(board_id, user_id, role, row.added_at)
        if before == role:
            return member  # nothing changes, so nothing is recorded
        if before == BoardRole.OWNER and await owner_count(uow, board_id) <= 1:
            raise ApiError(ErrorCode.CONFLICT, LAST_OWNER)
        await uow.conn.execute(update(members_t).where(members_t.c.board_id == board_id,
                                                       members_t.c.user_id == user_id).values(role=role.value))
        people = await boards.users_by_id(uow, viewer_id, user_id)
        actor, target = people[viewer_id], people[user_id]
        now = utcnow()
        message = account_events.role_message(events.actor_title(viewer_id, None, viewer_role), actor.email,
                                              target, role, board.name, now)
        await uow.record(
            board, kind=BoardEventKind.MEMBER_ROLE_CHANGED, activity_kind=ActivityKind.MEMBER_ROLE_CHANGED,
            actor_id=viewer_id, actor_email=actor.email, actor_name=actor.name, task_id=None,
            payload=events.base_payload(ActivityKind.MEMBER_ROLE_CHANGED, message, now,
                                        member=events.member_json(member, target),
                                        changes={"role": {"from": before.value, "to": role.value}}),
        )
        await uow.commit()
    ctx.loaders.users.prime(target.id, target)
    return member


async def leave_board(ctx: Ctx, *, board_id: str) -> bool:
    """The viewer's own removal: the same change as an owner removing them."""
    viewer_id = ctx.require_viewer()
    return await boards.remove_member(ctx, board_id=board_id, user_id=viewer_id)
