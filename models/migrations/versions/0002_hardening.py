"""hardening: description fits 20,000 4-byte characters, utf8mb4, retention indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 13:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The tables 0001 created.  0001 made them in the database's default character set,
# which on an older server (or a database created by hand) is latin1: a 4-byte
# character there is an error or a `?`.
TABLES = ("users", "boards", "refresh_tokens", "board_events", "board_members", "tasks")
# Binary: emails are lower-cased by the application, ids and hashes are exact, and the
# _general_ci / _unicode_ci collations weigh every character beyond the BMP (every
# emoji) the same, so two addresses differing in one emoji would collide.
CHARSET = "utf8mb4"
COLLATION = "utf8mb4_bin"


def _foreign_keys() -> list[tuple[str, str, list[str], str, list[str], str, str]]:
    """(table, name, columns, referenced table, referenced columns, on delete, on update)
    of every foreign key between TABLES, as the server named them."""
    rows = op.get_bind().execute(sa.text(
        "SELECT k.table_name, k.constraint_name, k.column_name, k.referenced_table_name, "
        "k.referenced_column_name, r.delete_rule, r.update_rule "
        "FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r "
        "ON r.constraint_schema = k.constraint_schema AND r.table_name = k.table_name "
        "AND r.constraint_name = k.constraint_name "
        "WHERE k.table_schema = DATABASE() AND k.referenced_table_name IS NOT NULL "
        "ORDER BY k.table_name, k.constraint_name, k.ordinal_position")).all()
    keys: dict[tuple[str, str], tuple[str, str, list[str], str, list[str], str, str]] = {}
    for table, name, column, ref_table, ref_column, on_delete, on_update in rows:
        if table not in TABLES or ref_table not in TABLES:
            continue
        key = keys.setdefault((table, name), (table, name, [], ref_table, [], on_delete, on_update))
        key[2].append(column)
        key[4].append(ref_column)
    return list(keys.values())


def _mysql_to_utf8mb4() -> None:
    # Tables a later migration creates inherit the database's default.
    op.execute(f"ALTER DATABASE CHARACTER SET {CHARSET} COLLATE {COLLATION}")
    # Neither MariaDB nor MySQL changes the character set of a column a foreign key
    # joins (MariaDB not even with the checks off): the keys go, and come back as
    # they were, unchecked (the rows already satisfied them).
    keys = _foreign_keys()
    op.execute("SET FOREIGN_KEY_CHECKS=0")
    try:
        for table, name, *_ in keys:
            op.execute(f"ALTER TABLE `{table}` DROP FOREIGN KEY `{name}`")
        for table in TABLES:
            op.execute(f"ALTER TABLE `{table}` CONVERT TO CHARACTER SET {CHARSET} COLLATE {COLLATION}")
    finally:
        for table, name, columns, ref_table, ref_columns, on_delete, on_update in keys:
            op.execute(f"ALTER TABLE `{table}` ADD CONSTRAINT `{name}` FOREIGN KEY ({_names(columns)}) "
                       f"REFERENCES `{ref_table}` ({_names(ref_columns)}){_rule('DELETE', on_delete)}"
                       f"{_rule('UPDATE', on_update)}")
        op.execute("SET FOREIGN_KEY_CHECKS=1")
    # CONVERT widens a TEXT from a 1-byte charset to MEDIUMTEXT (same characters,
    # more bytes); say what each one is.
    op.execute("ALTER TABLE tasks MODIFY description MEDIUMTEXT NOT NULL")
    op.execute("ALTER TABLE board_events MODIFY last_error TEXT NULL")


def _names(columns: list[str]) -> str:
    return ", ".join(f"`{c}`" for c in columns)


def _rule(action: str, rule: str) -> str:
    # The default (RESTRICT, which InnoDB also reports as NO ACTION) is left unsaid, as 0001 did.
    return "" if rule in ("RESTRICT", "NO ACTION") else f" ON {action} {rule}"


def upgrade() -> None:
    if op.get_bind().dialect.name == "mysql":
        _mysql_to_utf8mb4()
    with op.batch_alter_table('board_events', schema=None) as batch_op:
        batch_op.create_index('ix_board_events_created', ['created_at'], unique=False)
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_tokens_revoked_at'), ['revoked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_revoked_at'))
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_expires_at'))
    with op.batch_alter_table('board_events', schema=None) as batch_op:
        batch_op.drop_index('ix_board_events_created')
    if op.get_bind().dialect.name == "mysql":
        # The character set stays utf8mb4: going back to a 3- or 1-byte set would
        # mangle what was written since.  A description over 65,535 bytes fails here.
        op.execute("ALTER TABLE tasks MODIFY description TEXT NOT NULL")
