"""A board deleted in the transaction that records its BOARD_DELETED: the outbox
row outlives the board and still gives one activity entry (and no mail)."""

from __future__ import annotations

from notify_testkit import AwsEnv, Db, add_board, add_user, rows
from sqlalchemy import delete
from test_notify_relay import make_relay

from models.tables import ActivityKind, Board, BoardEventKind
from models.uow import UnitOfWork

boards_t = Board.__table__  # type: ignore[attr-defined]


async def test_board_deleted_is_delivered_after_the_board_is_gone(db: Db, aws: AwsEnv) -> None:
    owner = await add_user(db)
    board = await add_board(db, owner, name="Gone")
    async with UnitOfWork(db.engine, db.gate) as uow:
        locked = await uow.lock_board(board.id)
        assert locked is not None
        await uow.record(locked, kind=BoardEventKind.BOARD_DELETED, activity_kind=ActivityKind.BOARD_DELETED,
                         actor_id=owner.id, actor_email=owner.email, task_id=None,
                         payload={"logType": "BoardDelete", "task": None, "member": None, "changes": {"deleted": True},
                                  "message": f"Owner {owner.email} Deleted Board Gone", "recipients": []})
        await uow.conn.execute(delete(boards_t).where(boards_t.c.id == board.id))
        await uow.commit()
    assert [(r.board_id, r.kind) for r in await rows(db)] == [(board.id, BoardEventKind.BOARD_DELETED)]

    relay = make_relay(db, aws)
    assert await relay.deliver_once() == 1
    await relay.aclose()
    (item,) = aws.activity_items(board.id)
    assert item["DetailType"]["S"] == "BoardDeleted" and item["BoardName"]["S"] == "Gone"
    assert aws.drain_queue() == []  # the bus rule routes no board event to the mailer
