"""Bring a database's schema up to date with Alembic (the `taskboard migrate` command)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

from models.db import DatabaseTls

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head", *, tls: DatabaseTls | None = None) -> None:
    cfg = alembic_config(url)
    cfg.attributes["tls"] = tls
    command.upgrade(cfg, revision)


async def upgrade_async(url: str, *, tls: DatabaseTls | None = None) -> None:
    # env.py runs its own event loop; keep it off the caller's.
    await asyncio.to_thread(upgrade, url, tls=tls)
