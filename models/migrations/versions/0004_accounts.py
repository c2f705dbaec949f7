"""accounts: verified addresses, password reset, phone codes, invitations

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:05:00
"""
import sqlalchemy as sa
from alembic import op

import models.tables

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', models.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('phone_verified_at', models.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('sessions_revoked_at', models.tables.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', models.tables.UTCDateTime(), nullable=True))

    op.create_table('account_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('expires_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('used_at', models.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_tokens_expires_at'), ['expires_at'], unique=False)

    op.create_table('phone_codes',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('phone_number', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )

    op.create_table('board_invitations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('board_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('invited_by', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('expires_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('closed_at', models.tables.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('board_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_board_invitations_board', ['board_id', 'status'], unique=False)
        batch_op.create_index('ix_board_invitations_email', ['email', 'status'], unique=False)

    op.create_table('account_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('detail_type', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', models.tables.UTCDateTime(), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', models.tables.UTCDateTime(), nullable=True),
    sa.Column('delivered_at', models.tables.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_messages', schema=None) as batch_op:
        batch_op.create_index('ix_account_messages_pending', ['pending', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_messages_user_id'), ['user_id'], unique=False)

    op.create_table('message_usage',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'day', 'channel')
    )


def downgrade() -> None:
    op.drop_table('message_usage')
    with op.batch_alter_table('account_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_messages_user_id'))
        batch_op.drop_index('ix_account_messages_pending')
    op.drop_table('account_messages')
    with op.batch_alter_table('board_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_board_invitations_email')
        batch_op.drop_index('ix_board_invitations_board')
    op.drop_table('board_invitations')
    op.drop_table('phone_codes')
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_expires_at'))
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))
    op.drop_table('account_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('sessions_revoked_at')
        batch_op.drop_column('phone_verified_at')
        batch_op.drop_column('email_verified_at')
