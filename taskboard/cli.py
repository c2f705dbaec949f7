"""The `taskboard` command: serve, migrate, worker, remind, prune."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from taskboard.settings import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            print(f"taskboard: configuration error: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from taskboard.ws_protocol import LeanWebSocketProtocol

    settings = _settings()
    workers = args.workers
    if workers > 1 and settings.aws_mode == "local":
        logging.getLogger("taskboard").warning(
            "the embedded AWS emulator lives in one process: serving with 1 worker (set TASKBOARD_AWS=aws for more)")
        workers = 1
    if workers > 1 and not settings.redis_url:
        # Refused, not warned: each worker would hand live events only to its own
        # sockets, and a board open on one worker would silently miss the changes
        # made through another (and each would count failed logins on its own).
        print("taskboard: --workers above 1 needs TASKBOARD_REDIS_URL: without Redis each worker "
              "has its own live fan-out and subscribers miss changes made through the others",
              file=sys.stderr)
        raise SystemExit(2)
    if workers > 1 and settings.database_url.startswith("sqlite") and settings.env != "production":
        from models.migrate import upgrade

        upgrade(settings.database_url)  # once, before the workers race to do it
    here = f"http://{'localhost' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"  # noqa: S104  # nosec B104 - names the address, binds nothing
    if settings.env == "development" and not os.environ.get("TASKBOARD_PUBLIC_URL"):
        # Links in mail open the board where it is served, so the session the
        # person has there is the one the link finds (the factory reads it).
        os.environ["TASKBOARD_PUBLIC_URL"] = here
    print(f"Taskboard on {here}/ (GraphQL at /graphql)", flush=True)
    uvicorn.run(
        "taskboard.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        loop="auto",
        http="auto",
        ws=LeanWebSocketProtocol,  # uvicorn's websockets-sansio, keeping less per socket
        ws_per_message_deflate=False,  # one compressor per socket costs ~64 KiB; events are small
        ws_max_size=64 * 1024,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=settings.env == "development",
        log_config=None,  # uvicorn's records go through the root handler (taskboard.logs) as JSON too
        log_level="info",
    )


def migrate(_: argparse.Namespace) -> None:
    from models.app_user import AppUserError, ensure_app_user
    from models.migrate import upgrade

    settings = _settings()
    tls = settings.database_tls_config
    upgrade(settings.database_url, tls=tls)
    print("database is up to date")
    if settings.app_db_password:
        try:
            done = asyncio.run(ensure_app_user(settings.database_url, user=settings.app_db_user,
                                               password=settings.app_db_password, tls=tls))
        except AppUserError as exc:
            print(f"taskboard: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
        if done:
            print(f"database user {settings.app_db_user} may read and write rows, nothing more")


def worker(_: argparse.Namespace) -> None:
    from taskboard.bootstrap import ConfigError, run_worker

    try:
        asyncio.run(run_worker(_settings()))
    except ConfigError as exc:
        print(f"taskboard: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def remind(_: argparse.Namespace) -> None:
    from taskboard.bootstrap import ConfigError, run_reminders

    try:
        sent = asyncio.run(run_reminders(_settings(), datetime.now(UTC)))
    except ConfigError as exc:
        print(f"taskboard: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"sent {sent} reminder mail(s)")


def prune(_: argparse.Namespace) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from models.retention import prune_database

    settings = _settings()
    try:
        result = asyncio.run(prune_database(settings.database_url, tls=settings.database_tls_config,
                                            event_retention=timedelta(days=settings.event_retention_days)))
    except SQLAlchemyError as exc:
        print(f"taskboard: prune failed: {type(exc).__name__}: {exc.__cause__ or exc}".splitlines()[0],
              file=sys.stderr)
        raise SystemExit(1) from None
    print(f"pruned {result.events} event(s) and {result.refresh_tokens} refresh token(s)")


def _configure_logs() -> None:
    """Logs as the settings say (TASKBOARD_LOG_FORMAT, TASKBOARD_ENV); with settings
    that do not parse, readable text, and the command reports the error itself."""
    from taskboard import logs

    try:
        style = Settings().log_style
    except ValidationError:
        style = "console"
    logs.configure(style)


def main(argv: list[str] | None = None) -> None:
    _configure_logs()
    parser = argparse.ArgumentParser(prog="taskboard", description="Team task boards over GraphQL")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the API, websockets and the web board")
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=serve)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(func=migrate)
    sub.add_parser("worker", help="run the mail worker (the local stand-in for the Lambda)").set_defaults(func=worker)
    sub.add_parser("remind", help="mail deadline reminders once").set_defaults(func=remind)
    sub.add_parser("prune", help="delete delivered events past retention and dead refresh tokens"
                   ).set_defaults(func=prune)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
