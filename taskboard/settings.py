"""One settings object, from TASKBOARD_* environment variables."""

from __future__ import annotations

import logging
import secrets
from functools import cached_property
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger("taskboard")

_WEAK_SECRETS = {"changeme", "secret", "changethis", "password", "taskboard"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKBOARD_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./taskboard.db"
    jwt_secret: str | None = None
    redis_url: str | None = None
    # `off` (an extension of the contract): no AWS at all; events stay in the outbox
    # and the activity log is read from the database.  For tests and air-gapped runs.
    aws: Literal["local", "aws", "off"] | None = None
    provision: bool | None = None
    notify_worker: bool | None = None
    activity_table: str = "taskboard-activity"
    event_bus: str = "taskboard"
    notify_queue: str = "taskboard-notify"
    mail_from: str = "noreply@taskboard.local"
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")

    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 86400
    # Failed logins allowed per window, per email and per client address.
    login_failures_per_email: int = 5
    login_failures_per_ip: int = 30
    login_failure_window: int = 900
    # argon2id cost; the test environment may lower it to keep the suite fast.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3

    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_page_size: int = 100
    max_body_bytes: int = 1024 * 1024
    max_subscriptions_per_socket: int = 50
    connection_init_timeout: float = 10.0
    keepalive_interval: float = 25.0
    cors_origins: list[str] = []
    web_dir: str | None = None
    # Board reads cached per (viewer, board, seq): a commit invalidates exactly.
    response_cache: bool = True
    # While a write transaction of this process is in flight, at most this many
    # queries run at once, so the writer's row locks are held for few event-loop
    # turns (taskboard.admission); 0: no limit.
    queries_while_writing: int = Field(default=8, ge=0)
    # Events a subscription may fall behind before its socket is closed (1013) to
    # resume with afterSeq: bounds the memory a slow client can hold.
    live_subscriber_buffer: int = 128
    # Fewer, later garbage collections (see taskboard.app): shorter pauses under fan-out.
    gc_tuning: bool = True
    # While Redis is unreachable, live streams look at the table this often (seconds).
    live_degraded_poll: float = 5.0
    # Seconds between outbox-backlog metric lines (EMF on stdout) with TASKBOARD_AWS=aws; 0: none.
    metrics_interval: float = 60.0
    # Relay: how often it sweeps for undelivered events besides the nudge after commit.
    relay_sweep_interval: float = 5.0
    # How long a relay's claim on undelivered events lasts: after a crash, another
    # relay (or the restarted one) delivers them once this has passed.
    relay_lease_seconds: float = 30.0
    # How long the relay lets the events committed at one moment gather before it
    # claims (process relay) or delivers (inline relay) them: one claim, one PutEvents
    # and one mark per batch instead of one per event.
    relay_linger_seconds: float = 0.05
    # Where the relay runs: `process` (a child of the server, so AWS calls never take
    # its event loop; see taskboard.relay_process), `inline`, or `auto`: a process on
    # MySQL, inline on SQLite (whose writers queue on one in-process gate).
    relay_mode: Literal["auto", "inline", "process"] = "auto"

    def relay_in_process(self, sqlite: bool) -> bool:
        return self.relay_mode == "inline" or (self.relay_mode == "auto" and sqlite)

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env == "production":
            secret = self.jwt_secret or ""
            if len(secret.encode()) < 32 or secret.lower() in _WEAK_SECRETS:
                raise ValueError("TASKBOARD_JWT_SECRET must be set to at least 32 random bytes in production")
            if self.aws == "local":
                raise ValueError("production never starts the embedded AWS emulator (TASKBOARD_AWS=local)")
            if self.provision:
                raise ValueError("production never provisions AWS resources (Terraform does)")
        return self

    @cached_property
    def secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        log.warning("TASKBOARD_JWT_SECRET is not set: using a random key; tokens die with this process")
        return secrets.token_urlsafe(48)

    @property
    def aws_mode(self) -> Literal["local", "aws", "off"]:
        return self.aws or ("local" if self.env == "development" else "aws")

    @property
    def provision_enabled(self) -> bool:
        return self.provision if self.provision is not None else self.aws_mode == "local"

    @property
    def worker_enabled(self) -> bool:
        if self.aws_mode == "off":
            return False
        return self.notify_worker if self.notify_worker is not None else self.env == "development"

    @property
    def production(self) -> bool:
        return self.env == "production"
