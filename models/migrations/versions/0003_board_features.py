"""board features: ranks, labels, comments

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
