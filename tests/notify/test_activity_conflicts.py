"""The activity write is conditioned on the event id (issue 13 item 11): a
redelivery of the same event is a success, a different event at the same
board/seq (a seq reused after a database restore) is a failure that is seen,
not dropped.  Against moto's server, over HTTP."""

from __future__ import annotations

from typing import Any

from notify_testkit import REGION, AwsEnv, Db, add_board, add_user, record, rows
from sqlalchemy import update

from models.tables import BoardEventRow
from notify.relay import OutboxRelay


def make_relay(db: Db, aws: AwsEnv, **kw: Any) -> OutboxRelay:
    return OutboxRelay(db.session_factory, db.is_mysql, aws.session, aws.table, aws.bus, aws.endpoint_url, REGION,
                       gate=db.gate, backoff_base=0.05, backoff_max=0.3, **kw)


async def test_the_same_event_twice_is_one_item_and_delivered(db: Db, aws: AwsEnv) -> None:
    actor = await add_user(db)
    board = await add_board(db, actor)
    row = await record(db, board, actor, message="first")
    relay = make_relay(db, aws)
    assert await relay.deliver_once() == 1
    # Delivered again (a relay killed before its mark): the stored item is this event's.
    async with db.session_factory() as session:
        await session.execute(update(BoardEventRow).where(BoardEventRow.id == row.id)  # type: ignore[arg-type]
                              .values(pending=True, log_delivered_at=None, next_attempt_at=None))
        await session.commit()
    assert await relay.deliver_once() == 1
    await relay.aclose()
    (item,) = aws.activity_items(board.id)
    assert item["EventId"] == {"S": row.id} and item["Message"] == {"S": "first"}
    (stored,) = await rows(db)
    assert not stored.pending and stored.log_delivered_at is not None
    assert relay.conflicts_total == 0


async def test_another_event_at_the_same_seq_is_a_recorded_failure(db: Db, aws: AwsEnv) -> None:
    actor = await add_user(db)
    board = await add_board(db, actor)
    # The table holds seq 1 of this board from before a database restore: another event.
    aws.client("dynamodb").put_item(TableName=aws.table, Item={
        "PK": {"S": f"BOARD#{board.id}"}, "SK": {"S": "000000000001"}, "EventId": {"S": "evt-before-restore"},
        "Seq": {"N": "1"}, "Message": {"S": "the original"},
    })
    row = await record(db, board, actor, message="after the restore")
    assert row.seq == 1
    relay = make_relay(db, aws)
    assert await relay.deliver_once() == 0
    await relay.aclose()

    (stored,) = await rows(db)
    assert stored.pending, "the row must stay undelivered for the activity log"
    assert stored.log_delivered_at is None
    assert stored.bus_delivered_at is not None  # the bus is another destination: it got the event
    assert stored.last_error and "evt-before-restore" in stored.last_error and "conflict" in stored.last_error
    assert relay.conflicts_total == 1 and relay.failures_total == 1
    (item,) = aws.activity_items(board.id)
    assert item["EventId"] == {"S": "evt-before-restore"} and item["Message"] == {"S": "the original"}
