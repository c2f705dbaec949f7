"""board features: labels, task labels, board events that outlive their board

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:05:00
"""
import sqlalchemy as sa
from alembic import op

import models.tables

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# SQLite names no foreign key; batch mode names the reflected ones by this so one can be dropped.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_FK = "fk_board_events_board_id_boards"


def _board_events_fks() -> list[dict]:
    return [fk for fk in sa.inspect(op.get_bind()).get_foreign_keys("board_events")
            if fk["referred_table"] == "boards"]


def upgrade() -> None:
    op.create_table('labels',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('board_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('created_at', models.tables.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_labels_board', 'labels', ['board_id', 'created_at', 'id'], unique=False)
    op.create_table('task_labels',
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('label_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['label_id'], ['labels.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'label_id')
    )
    op.create_index(op.f('ix_task_labels_label_id'), 'task_labels', ['label_id'], unique=False)
    # A deleted board's events stay (see models.tables.BoardEventRow.board_id).
    fks = _board_events_fks()
    if not fks:
        return
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('board_events', recreate="always", naming_convention=NAMING) as batch_op:
            batch_op.drop_constraint(SQLITE_FK, type_='foreignkey')
    else:
        for fk in fks:
            op.drop_constraint(fk["name"], 'board_events', type_='foreignkey')


def downgrade() -> None:
    # Events of boards that are gone would break the key: they go first.
    op.execute("DELETE FROM board_events WHERE board_id NOT IN (SELECT id FROM boards)")
    with op.batch_alter_table('board_events', naming_convention=NAMING) as batch_op:
        batch_op.create_foreign_key(SQLITE_FK, 'boards', ['board_id'], ['id'], ondelete='CASCADE')
    # The tables take their indexes along (MySQL refuses to drop one a foreign key uses).
    op.drop_table('task_labels')
    op.drop_table('labels')
