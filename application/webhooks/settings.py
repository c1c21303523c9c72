"""How the delivery worker behaves, read from the environment (``LEDGER_WEBHOOK_*``).

Kept apart from ``application.settings``: only ``ledger deliver`` reads them, and the API
processes never need to.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_WEBHOOK_", env_file=".env", extra="ignore")

    max_failures: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Consecutive failed deliveries after which a subscription is paused",
    )
    backoff_base_seconds: float = Field(
        default=1.0, gt=0, description="The wait after a first failure; doubled after each next"
    )
    backoff_cap_seconds: float = Field(
        default=300.0, gt=0, description="The longest wait between two attempts"
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long one delivery may take to connect, and to send or read each part",
    )
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description=(
            "How long a worker holds a subscription without renewing its lease; a worker "
            "that died is replaced after at most this long"
        ),
    )
    poll_seconds: float = Field(
        default=0.5, gt=0, description="How often an idle subscription looks for new events"
    )
    batch_size: int = Field(
        default=100, ge=1, le=10_000, description="Feed items read ahead per subscription"
    )
    max_concurrent: int = Field(
        default=64, ge=1, le=1024, description="Subscriptions one worker delivers to at once"
    )

    @model_validator(mode="after")
    def _lease_outlasts_a_delivery(self) -> WebhookSettings:
        """The lease is renewed before each delivery: it must outlast one, or a second
        worker could take the subscription over while the first is still sending."""
        if self.lease_seconds < 3 * self.timeout_seconds:
            raise ValueError(
                "LEDGER_WEBHOOK_LEASE_SECONDS must be at least 3 times "
                "LEDGER_WEBHOOK_TIMEOUT_SECONDS (a lease outlasts any one delivery)"
            )
        if self.backoff_cap_seconds < self.backoff_base_seconds:
            raise ValueError("LEDGER_WEBHOOK_BACKOFF_CAP_SECONDS is below the base wait")
        return self
