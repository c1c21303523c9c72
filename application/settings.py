"""Settings, read from the environment (``LEDGER_*``) or a ``.env`` file.

Only what the operator of a deployment chooses lives here; the composition root turns these
settings into the objects the service runs on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///ledger.db",
        description=(
            "Where the ledger lives: sqlite:///relative/path.db, sqlite:////absolute/path.db, "
            "postgresql://user:password@host:port/dbname[?schema=name], or memory:// "
            "(nothing kept after the process ends)."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    projections: Literal["inline", "external"] = Field(
        default="inline",
        description=(
            "inline: this process keeps the views up to date itself (the embedded default); "
            "external: 'ledger project' workers do, and reads wait for them"
        ),
    )
    projection_batch_size: int = Field(default=500, ge=1, le=10_000)
    projection_poll_seconds: float = Field(default=0.5, gt=0)
    read_wait_seconds: float = Field(
        default=2.0, ge=0, description="How long a read waits for the views to reach a position"
    )
    page_size_default: int = Field(default=100, ge=1)
    page_size_max: int = Field(default=1000, ge=1)
    public_reads: bool = Field(
        default=False,
        description=(
            "Serve subjects and measures to anyone, without an API key; history, changes and "
            "the event log still need an auditor's key, and writes an operator's"
        ),
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 beyond)"
    )
    max_batch_bytes: int = Field(
        default=33_554_432,
        ge=1024,
        description="Largest file of rows to screen accepted (CSV or JSON Lines; 413 beyond)",
    )
    rate_limit_per_minute: int = Field(
        default=3000,
        ge=1,
        description="Requests one API key may make per minute to one API process (429 beyond)",
    )
    rate_limit_burst: int = Field(
        default=100,
        ge=1,
        description="Requests one API key may make at once before the rate applies",
    )
    idempotency_ttl_seconds: int = Field(
        default=86_400,
        ge=60,
        description="How long an Idempotency-Key is remembered after its first use (24 hours)",
    )
    idempotency_lease_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a request may hold its Idempotency-Key before a retry takes it over",
    )
    key_cache_seconds: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description=(
            "How long a process trusts the API keys it verified without reading the keys' "
            "revision again: a key revoked anywhere is refused everywhere within this time "
            "(0: every request checks its key in the database)"
        ),
    )
    ready_max_lag_events: int | None = Field(
        default=None,
        ge=0,
        description=(
            "/ready answers 503 when the views are more events than this behind the log "
            "(no limit by default: a large import is many events recorded at once)"
        ),
    )
    ready_max_lag_seconds: float = Field(
        default=120,
        ge=0,
        description=(
            "/ready answers 503 when the oldest event the views do not reflect yet was "
            "recorded longer ago than this"
        ),
    )
    opentelemetry: bool = Field(
        default=False,
        description=(
            "Let FastAPI report requests to the OpenTelemetry providers the process sets up "
            "(its spans, metrics and exception logs); off, each request skips those checks"
        ),
    )
    metrics_access: Literal["public", "admin"] = Field(
        default="public",
        description="Who may read GET /metrics: anyone, or admin keys only",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes 'ledger serve' runs (more than one needs PostgreSQL)",
    )
    shutdown_grace_seconds: float = Field(
        default=30,
        gt=0,
        description=(
            "On SIGTERM, how long requests in flight may take to finish before they are cut off"
        ),
    )
    log_origin: str | None = Field(
        default=None,
        max_length=200,
        description=(
            "The log's name on its checkpoints and the name of its signing key, a schema-less "
            "URL such as ledger.example.org/sanctions; used when the key is made (a unique "
            "sanctions-ledger.local/... name if unset)"
        ),
    )
    signing_key_file: str | None = Field(
        default=None,
        description=(
            "Keep the checkpoints' signing key in this file (made on first start, mode 0600) "
            "instead of in the database"
        ),
    )
    stream_heartbeat_seconds: float = Field(
        default=15,
        gt=0,
        le=3600,
        description=(
            "GET /v1/changes/stream sends a comment line after this long without an event, "
            "so that proxies keep the connection open and clients see it is alive"
        ),
    )
    stream_poll_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description=(
            "How often an open change stream reads the log for new events (written by any "
            "process); an event reaches the stream at most this long after its commit"
        ),
    )
    stream_batch_size: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Events a change stream reads from the log at once",
    )
    stream_retry_ms: int = Field(
        default=2000,
        ge=0,
        description="The reconnection delay a change stream asks clients to wait (its retry: line)",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"
