"""Webhook subscriptions over HTTP: what a client sends to subscribe, and what it is shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from application.webhooks.subscriptions import (
    DESCRIPTION_CHARS,
    URL_CHARS,
    CreatedSubscription,
    Delivery,
    Subscription,
)
from domain.values import Authority, MeasureKind

Program = Annotated[str, Field(min_length=1, max_length=100)]


class FilterIn(Strict):
    """Which events to receive; a list left empty matches every value."""

    authorities: list[Authority] = Field(default_factory=list, max_length=20)
    programs: list[Program] = Field(default_factory=list, max_length=100)
    kinds: list[MeasureKind] = Field(default_factory=list, max_length=10)


class SubscriptionIn(Strict):
    url: str = Field(
        min_length=1,
        max_length=URL_CHARS,
        description="Where deliveries are POSTed: an http:// or https:// URL",
        examples=["https://screening.example.org/hooks/ledger"],
    )
    filter: FilterIn = Field(default_factory=FilterIn)
    description: str | None = Field(default=None, min_length=1, max_length=DESCRIPTION_CHARS)
    after: int | None = Field(
        default=None,
        ge=0,
        le=2**63 - 1,
        description="Deliver the events after this log position (0: the whole log); by "
        "default, only those recorded from now on",
    )


class FilterOut(BaseModel):
    authorities: list[str]
    programs: list[str]
    kinds: list[str]


class SubscriptionOut(BaseModel):
    """A subscription as its owner sees it: never its secret."""

    id: str
    url: str
    description: str | None
    filter: FilterOut
    owner: str = Field(description="The id of the API key that created it")
    created_at: datetime
    status: str = Field(description="active, or paused after repeated failures")
    cursor: int = Field(description="The last log position delivered or passed over")
    failures: int = Field(description="Consecutive failed deliveries")
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = Field(
        description="When the next attempt is due after a failure; null when due at once"
    )
    paused_at: datetime | None

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionOut:
        due = subscription.next_attempt_at
        return cls(
            id=subscription.id,
            url=subscription.url,
            description=subscription.description,
            filter=FilterOut(**subscription.filter.describe()),
            owner=subscription.owner,
            created_at=subscription.created_at,
            status=subscription.status,
            cursor=subscription.cursor,
            failures=subscription.failures,
            last_error=subscription.last_error,
            last_attempt_at=subscription.last_attempt_at,
            next_attempt_at=datetime.fromtimestamp(due, UTC) if due > 0 else None,
            paused_at=subscription.paused_at,
        )


class CreatedSubscriptionOut(SubscriptionOut):
    secret: str | None = Field(
        description="The signing secret (whsec_...), to verify deliveries with any Standard "
        "Webhooks library. Shown once: a repeat of this request (same Idempotency-Key) "
        "answers null"
    )

    @classmethod
    def created(cls, created: CreatedSubscription) -> CreatedSubscriptionOut:
        shown = SubscriptionOut.of(created.subscription).model_dump()
        return cls(**shown, secret=created.secret)


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class DeliveryOut(BaseModel):
    seq: int = Field(description="The attempt's number in this subscription's log")
    webhook_id: str
    position: int = Field(description="The log position of the delivered event")
    attempt: int = Field(description="Which attempt at this event this was")
    status_code: int | None = Field(description="The receiver's answer; null if none came")
    error: str | None
    attempted_at: datetime
    duration_ms: int

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        return cls(**vars(delivery))


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_after: int | None = Field(description="Pass as after for the next page; null at the end")
