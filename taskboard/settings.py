"""One settings object, from TASKBOARD_* environment variables."""

from __future__ import annotations

import json
import logging
import os
import secrets
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models.db import DatabaseTls, is_mysql

log = logging.getLogger("taskboard")

_WEAK_SECRETS = {"changeme", "secret", "changethis", "password", "taskboard"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKBOARD_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./taskboard.db"
    # TLS to MySQL (models.db.DatabaseTls).  Unset: `require` in production with a
    # MySQL URL, `off` otherwise; `off` in production must be said explicitly.
    database_tls: Literal["require", "off"] | None = None
    # CA bundle the server's certificate must chain to (the image carries RDS's);
    # unset: the system store.
    database_ca_file: str | None = None
    # `taskboard migrate` creates or updates the least-privilege MySQL user the
    # service connects as (models.app_user) when this password is set.
    app_db_user: str = "taskboard_app"
    app_db_password: str | None = None
    jwt_secret: str | None = None
    # During a key rotation, the key being retired: it verifies, never signs
    # (auth.tokens).  Empty or `none` (a Secrets Manager value cannot be empty): no previous key.
    jwt_previous_secret: str | None = None
    redis_url: str | None = None
    # `off` (an extension of the contract): no AWS at all; events stay in the outbox
    # and the activity log is read from the database.  For tests and air-gapped runs.
    aws: Literal["local", "aws", "off"] | None = None
    provision: bool | None = None
    notify_worker: bool | None = None
    # Seconds between passes of the deadline reminders in a process that runs the
    # mail worker (development: `make run`); in AWS a scheduler runs `taskboard remind`.
    reminder_interval: float = Field(default=3600.0, gt=0)
    activity_table: str = "taskboard-activity"
    event_bus: str = "taskboard"
    notify_queue: str = "taskboard-notify"
    mail_from: str = "noreply@taskboard.local"
    # The web board's address, for the links account mails carry (verify, reset, invitation).
    public_url: str = "http://localhost:8000"
    # Mail and SMS one user's actions may cause per UTC day; past it the action
    # still happens and the message is recorded as not sent.
    mail_quota: int = Field(default=200, ge=0)
    sms_quota: int = Field(default=20, ge=0)
    # Seconds between each process's look for sessions ended elsewhere (a password
    # reset or change on another instance), whose live sockets it then closes.
    session_revocation_poll: float = Field(default=5.0, gt=0)
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")

    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 86400
    # Failed logins allowed per window, per email and per client address.
    login_failures_per_email: int = 5
    login_failures_per_ip: int = 30
    login_failure_window: int = 900
    # Peers whose X-Forwarded-For is believed (CIDRs, comma-separated; in AWS the
    # VPC's range): behind a balancer the peer is the balancer, and counting
    # failures against it would let one attacker block every login.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # argon2id cost; the test environment may lower it to keep the suite fast.
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3

    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 5000
    max_page_size: int = 100
    # Query cost (schema.cost): each field 1, times the lengths of the lists it sits in.
    max_cost: int = Field(default=10_000, ge=1)
    max_body_bytes: int = 1024 * 1024
    # Parsed valid documents kept, counted as ~100 bytes per character of text (their
    # AST); a document longer than document_cache_max_chars is parsed every time.
    document_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    document_cache_max_chars: int = Field(default=16 * 1024, ge=0)
    # Persisted operations (schema.persisted): documents remembered by their sha256,
    # counted by their text; with Redis, shared by the instances.
    persisted_cache_bytes: int = Field(default=8 * 1024 * 1024, ge=0)
    # Only the web board's documents (the manifest its build writes) are accepted.
    persisted_only: bool = False
    # `{sha256: document}`; unset: persisted-manifest.json in the web build.
    persisted_manifest: str | None = None
    # Which operations run compiled (schema.compiled): `persisted` ones (sent by hash),
    # `all` valid documents the document cache holds, or `off` (graphql-core and its
    # attribute shortcut only; a switch should the compiler ever answer wrongly).
    # `all` by default: clients that send text (the benchmark harness, scripts) repeat
    # their documents as much as the web board does, and the differential test
    # (tests/unit/test_compiled_differential.py) holds compiled answers to graphql-core's.
    compiled_execution: Literal["persisted", "all", "off"] = "all"
    max_subscriptions_per_socket: int = 50
    connection_init_timeout: float = 10.0
    keepalive_interval: float = 25.0
    cors_origins: list[str] = []
    web_dir: str | None = None
    # Board reads cached per (viewer, board, seq): a commit invalidates exactly.
    response_cache: bool = True
    # Its bytes (bodies with their keys), least recently used out first; a larger
    # response is not kept.
    response_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    response_cache_entry_bytes: int = Field(default=256 * 1024, ge=0)
    # While a write transaction of this process is in flight, at most this many
    # queries run at once, so the writer's row locks are held for few event-loop
    # turns (taskboard.admission); 0: no limit.
    queries_while_writing: int = Field(default=8, ge=0)
    # Events a subscription may fall behind before its socket is closed (1013) to
    # resume with afterSeq: bounds the memory a slow client can hold.
    live_subscriber_buffer: int = 128
    # Delivered events older than this are deleted by `taskboard prune` (models.retention);
    # `afterSeq` from before what is kept asks the client to reload.
    event_retention_days: int = Field(default=30, ge=1)
    # Fewer, later garbage collections (see taskboard.lifespan): shorter pauses under fan-out.
    gc_tuning: bool = True
    # While Redis is unreachable, live streams look at the table this often (seconds).
    live_degraded_poll: float = 5.0
    # Seconds between the checks that compare each live board's seq with what its
    # subscribers have seen, so one whose push was lost catches up; 0: none.
    live_seq_check_interval: float = Field(default=30.0, ge=0)
    # Seconds between outbox-backlog metric lines (EMF on stdout) with TASKBOARD_AWS=aws; 0: none.
    metrics_interval: float = 60.0
    # Relay: how often it sweeps for undelivered events besides the nudge after commit.
    relay_sweep_interval: float = 5.0
    # How long a relay's claim on undelivered events lasts: after a crash, another
    # relay (or the restarted one) delivers them once this has passed.
    relay_lease_seconds: float = 30.0
    # Rows one claim takes (and leases): the rest stay for the other relays.
    relay_batch_size: int = Field(default=25, ge=1)
    # How long the relay lets the events committed at one moment gather before it
    # claims (process relay) or delivers (inline relay) them: one claim, one PutEvents
    # and one mark per batch instead of one per event.
    relay_linger_seconds: float = 0.05
    # Where the relay runs: `process` (a child of the server, so AWS calls never take
    # its event loop; see taskboard.relay_process), `inline`, or `auto`: a process on
    # MySQL, inline on SQLite (whose writers queue on one in-process gate).
    relay_mode: Literal["auto", "inline", "process"] = "auto"
    # Log lines (taskboard.logs): `json`, one object a line; `console`, readable text.
    # Unset: console in development, json elsewhere.
    log_format: Literal["json", "console"] | None = None
    # Traces (taskboard.observability): `off`; `console`, spans printed on stdout;
    # `otlp`, spans sent over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (the ADOT sidecar in AWS).
    tracing: Literal["off", "console", "otlp"] = "off"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_cidrs(cls, value: Any) -> Any:
        return _cidrs(value)

    @cached_property
    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(v) for v in self.trusted_proxies)

    def relay_in_process(self, sqlite: bool) -> bool:
        return self.relay_mode == "inline" or (self.relay_mode == "auto" and sqlite)

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.env == "production":
            _check_production(self)
        return self

    @property
    def database_tls_config(self) -> DatabaseTls:
        mode = self.database_tls
        if mode is None:
            mode = "require" if self.env == "production" and is_mysql(self.database_url) else "off"
        return DatabaseTls(mode=mode, ca_file=self.database_ca_file or None)

    @cached_property
    def secret(self) -> str:
        if self.jwt_secret:
            return self.jwt_secret
        log.warning("TASKBOARD_JWT_SECRET is not set: using a random key; tokens die with this process")
        return secrets.token_urlsafe(48)

    @property
    def previous_secret(self) -> str | None:
        value = (self.jwt_previous_secret or "").strip()
        return None if value.lower() in ("", "none") else value

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

    @property
    def log_style(self) -> Literal["json", "console"]:
        return self.log_format or ("console" if self.env == "development" else "json")


def _cidrs(value: Any) -> Any:
    """TASKBOARD_TRUSTED_PROXIES: a JSON list or comma-separated CIDRs, each normalised."""
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
    if isinstance(value, list):
        value = [v.strip() if isinstance(v, str) else v for v in value]
        return [str(ip_network(v)) for v in value if v != ""]  # host bits set: refused
    return value


def _check_production(settings: Settings) -> None:
    """What production refuses to start with: weak keys, the emulator, provisioning,
    a CA file that is not there."""
    secret = settings.jwt_secret or ""
    if len(secret.encode()) < 32 or secret.lower() in _WEAK_SECRETS:
        raise ValueError("TASKBOARD_JWT_SECRET must be set to at least 32 random bytes in production")
    previous = settings.previous_secret
    if previous is not None and (len(previous.encode()) < 32 or previous.lower() in _WEAK_SECRETS):
        raise ValueError("TASKBOARD_JWT_PREVIOUS_SECRET must be 32+ random bytes, or none, in production")
    if settings.aws == "local":
        raise ValueError("production never starts the embedded AWS emulator (TASKBOARD_AWS=local)")
    if settings.provision:
        raise ValueError("production never provisions AWS resources (Terraform does)")
    tls = settings.database_tls_config
    if tls.mode == "require" and tls.ca_file and not os.path.isfile(tls.ca_file):
        raise ValueError(f"TASKBOARD_DATABASE_CA_FILE {tls.ca_file} does not exist: the database's "
                         "certificate cannot be verified (or set TASKBOARD_DATABASE_TLS=off)")
