"""comments and manual order (ranks)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:30:00
"""
from itertools import groupby

import sqlalchemy as sa
from alembic import op

import models.tables
from models.ranks import RANK_DEFAULT, RANK_MAX_LENGTH, sequence

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_tasks = sa.table('tasks', sa.column('id', sa.String), sa.column('board_id', sa.String),
                  sa.column('status', sa.String), sa.column('created_at'), sa.column('rank', sa.String))


def _rank_existing_tasks() -> None:
    """Each column of each board in creation order, as the board showed it before."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(_tasks.c.id, _tasks.c.board_id, _tasks.c.status)
                        .order_by(_tasks.c.board_id, _tasks.c.status, _tasks.c.created_at, _tasks.c.id)).all()
    update = _tasks.update().where(_tasks.c.id == sa.bindparam('task_id')).values(rank=sa.bindparam('new_rank'))
    for _, column in groupby(rows, key=lambda r: (r.board_id, r.status)):
        ids = [r.id for r in column]
        bind.execute(update, [{'task_id': i, 'new_rank': k} for i, k in zip(ids, sequence(len(ids)), strict=True)])


def upgrade() -> None:
    # Plain ADD COLUMN (a constant default): batch mode would copy `users` and `tasks`,
    # and SQLite refuses to drop a table other tables' foreign keys point at.
    op.add_column('users', sa.Column('email_on_mention', sa.Boolean(), server_default=sa.text('1'), nullable=False))
    op.add_column('tasks', sa.Column('rank', sa.String(length=RANK_MAX_LENGTH), server_default=RANK_DEFAULT,
                                     nullable=False))
    _rank_existing_tasks()
    op.drop_index('ix_tasks_board_status', table_name='tasks')
    op.create_index('ix_tasks_board_status_rank', 'tasks', ['board_id', 'status', 'rank'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=False),
    sa.Column('author_id', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('mention_ids', sa.JSON(), nullable=False),
    sa.Column('created_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('edited_at', models.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_task', ['task_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_author_id'), ['author_id'], unique=False)


def downgrade() -> None:
    # Its indexes go with it (MySQL refuses to drop one a foreign key needs first).
    op.drop_table('comments')

    op.drop_index('ix_tasks_board_status_rank', table_name='tasks')
    op.create_index('ix_tasks_board_status', 'tasks', ['board_id', 'status'], unique=False)
    op.drop_column('tasks', 'rank')
    op.drop_column('users', 'email_on_mention')
