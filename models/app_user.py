"""The least-privilege MySQL user the service connects as.

`taskboard migrate` runs as the master (migrating) user and, when
TASKBOARD_APP_DB_PASSWORD is set, creates or updates `taskboard_app` with
SELECT, INSERT, UPDATE and DELETE on the schema's tables and nothing else: a
leaked service credential can read and change rows, but not drop or alter
tables, create users or grant anything.  Idempotent: every migrate sets the
password again (a rotated secret takes effect at the next deploy) and repeats the
grant."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from models.db import DatabaseTls, is_mysql, make_engine

APP_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
_NAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")


class AppUserError(Exception):
    pass


def _identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


async def ensure_app_user(url: str, *, user: str, password: str, tls: DatabaseTls | None = None) -> bool:
    """Create or update `user` (from any host: the tasks' addresses change) on the
    MySQL database at `url`, whose user may grant.  False, doing nothing, when
    `url` is not MySQL."""
    if not is_mysql(url):
        return False
    if not _NAME.match(user):
        raise ValueError(f"not a plain MySQL user name: {user!r}")
    database = make_url(url).database
    if not database:
        raise ValueError("the database URL names no database to grant on")
    # '%%': the driver formats these statements (the password is a bound
    # parameter it quotes, never pasted into the text).
    account = f"'{user}'@'%%'"
    privileges = ", ".join(APP_PRIVILEGES)
    engine = make_engine(url, pool_size=1, tls=tls)
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("SET autocommit = 1")
            await conn.exec_driver_sql(f"CREATE USER IF NOT EXISTS {account} IDENTIFIED BY %s", (password,))
            await conn.exec_driver_sql(f"ALTER USER {account} IDENTIFIED BY %s", (password,))
            await conn.exec_driver_sql(f"GRANT {privileges} ON {_identifier(database)}.* TO {account}", ())
    except DBAPIError as exc:
        # Without the statement's parameters: they hold the password.
        raise AppUserError(f"could not set up database user {user}: {exc.orig}") from None
    finally:
        await engine.dispose()
    return True
