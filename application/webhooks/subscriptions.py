"""Webhook subscriptions: who wants which part of the feed pushed to which URL.

Subscriptions are operational state, like API keys: plain tables beside the events
(``application.tables``), shared by the API processes that manage them and the
``ledger deliver`` workers that act on them, on SQLite and PostgreSQL alike.

**The secret is stored as it is.** Standard Webhooks signs with HMAC, a symmetric scheme: the
worker needs the secret itself to sign every delivery, so, unlike an API key, it cannot be
kept as a hash. It is shown once, in the answer that creates the subscription, and never
again over the API; but whoever can read the ledger's database can read it, and so forge
deliveries to that subscriber. The database is already where the ledger's whole record
lives and must be guarded as such; a subscriber that suspects a leak deletes the
subscription and creates another (a new secret). Asymmetric signatures (``v1a``, ed25519)
would avoid this, at the cost of receivers most libraries do not support yet.

A subscription belongs to the API key that created it (``owner``): a key sees and manages
its own, an admin every one (``api.routers.subscriptions``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from application.feed import FeedFilter
from application.tables import Row, Statements, Tables
from application.webhooks.signing import new_secret
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.text import check_text

ACTIVE, PAUSED = "active", "paused"
URL_CHARS = 2000
DESCRIPTION_CHARS = 200

DDL = [
    """CREATE TABLE IF NOT EXISTS {ledger_webhook_subscriptions} (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        url TEXT NOT NULL,
        description TEXT,
        filter TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        cursor BIGINT NOT NULL,
        attempt INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        deliveries BIGINT NOT NULL,
        last_error TEXT,
        last_attempt_at TEXT,
        next_attempt_at {REAL} NOT NULL,
        paused_at TEXT,
        lease_owner TEXT,
        lease_until {REAL} NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS {ledger_webhook_deliveries} (
        subscription_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        webhook_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        attempt INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        attempted_at TEXT NOT NULL,
        duration_ms INTEGER NOT NULL,
        PRIMARY KEY (subscription_id, seq)
    )""",
]
PUBLIC_COLUMNS = (
    "id, owner, url, description, filter, created_at, status, cursor, attempt, failures, "
    "deliveries, last_error, last_attempt_at, next_attempt_at, paused_at"
)


class SubscriptionNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Subscription:
    id: str
    owner: str
    url: str
    description: str | None
    filter: FeedFilter
    created_at: datetime
    status: str
    cursor: int
    """The last log position this subscription is done with: delivered, or passed over
    because it did not match the filter."""
    attempt: int
    """Attempts made at the next item since the cursor last moved."""
    failures: int
    """Consecutive failures, counted towards pausing; a resumption starts them again."""
    deliveries: int
    """Attempts logged so far (the delivery log's last sequence number)."""
    last_error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: float
    paused_at: datetime | None


@dataclass(frozen=True)
class CreatedSubscription:
    subscription: Subscription
    secret: str
    """Shown once, in the answer that created the subscription."""


@dataclass(frozen=True)
class Delivery:
    seq: int
    webhook_id: str
    position: int
    attempt: int
    status_code: int | None
    error: str | None
    attempted_at: datetime
    duration_ms: int


class Subscriptions:
    """Creating, reading, resuming and deleting subscriptions; reading their delivery log."""

    def __init__(self, tables: Tables, clock: Callable[[], datetime]) -> None:
        self.tables = tables
        self.clock = clock
        tables.create(DDL)

    def create(
        self, owner: str, url: str, filter: FeedFilter, description: str | None, start_after: int
    ) -> CreatedSubscription:
        """A new subscription, active at once, delivering the events recorded after
        ``start_after`` (the log's end when it was made: a subscription is for what happens
        next; the past is in the feed and the log)."""
        url = checked_url(url)
        for program in filter.programs:
            check_text(program, "a program of the filter")
        if description is not None:
            description = checked_description(description)
        secret = new_secret()
        ident = str(uuid.uuid4())
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "INSERT INTO {ledger_webhook_subscriptions} (id, owner, url, description, "
                "filter, secret, created_at, status, cursor, attempt, failures, deliveries, "
                "next_attempt_at, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0)",
                (
                    ident,
                    owner,
                    url,
                    description,
                    json.dumps(filter.describe()),
                    secret,
                    _iso(self.clock()),
                    ACTIVE,
                    start_after,
                ),
            )
            created = _one(sql, ident)
        return CreatedSubscription(created, secret)

    def get(self, ident: str, owner: str | None = None) -> Subscription:
        """One subscription; with ``owner``, only if that key owns it (else not found, so
        that a key learns nothing of another's subscriptions)."""
        with self.tables.transaction(commit=False) as sql:
            found = _one(sql, ident)
        if owner is not None and found.owner != owner:
            raise SubscriptionNotFound(f"no subscription {ident!r}")
        return found

    def all(self, owner: str | None = None) -> list[Subscription]:
        where, params = ("WHERE owner = ? ", (owner,)) if owner is not None else ("", ())
        with self.tables.transaction(commit=False) as sql:
            sql.execute(
                f"SELECT {PUBLIC_COLUMNS} FROM {{ledger_webhook_subscriptions}} "
                f"{where}ORDER BY created_at, id",
                params,
            )
            return [subscription_of(row) for row in sql.fetchall()]

    def delete(self, ident: str, owner: str | None = None) -> None:
        """Gone with its delivery log; a worker delivering to it stops at its next step."""
        self.get(ident, owner)
        with self.tables.transaction(commit=True) as sql:
            sql.execute("DELETE FROM {ledger_webhook_subscriptions} WHERE id = ?", (ident,))
            sql.execute(
                "DELETE FROM {ledger_webhook_deliveries} WHERE subscription_id = ?", (ident,)
            )

    def resume(self, ident: str, owner: str | None = None) -> Subscription:
        """A paused subscription active again, its failures forgotten, its next attempt
        due at once; it carries on from its cursor, so nothing is skipped. Resuming an
        active subscription is refused: there is nothing to resume."""
        current = self.get(ident, owner)
        if current.status != PAUSED:
            raise RuleViolation(f"the subscription {ident!r} is not paused")
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "UPDATE {ledger_webhook_subscriptions} SET status = ?, failures = 0, "
                "next_attempt_at = 0, paused_at = NULL WHERE id = ? AND status = ?",
                (ACTIVE, ident, PAUSED),
            )
            return _one(sql, ident)

    def deliveries(
        self, ident: str, owner: str | None, after: int, limit: int
    ) -> tuple[list[Delivery], int | None]:
        """The delivery log, oldest first, and the sequence number to continue after."""
        self.get(ident, owner)
        with self.tables.transaction(commit=False) as sql:
            sql.execute(
                "SELECT * FROM {ledger_webhook_deliveries} WHERE subscription_id = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (ident, after, limit),
            )
            rows = [_delivery(row) for row in sql.fetchall()]
        return rows, rows[-1].seq if len(rows) == limit else None


def checked_url(url: str) -> str:
    """An absolute http or https URL with a host, and no credentials (they would be shown
    with the subscription to anyone who may read it) nor fragment."""
    check_text(url, "the url")
    if len(url) > URL_CHARS or any(c.isspace() for c in url):
        raise InvalidValue(f"the url must be at most {URL_CHARS} characters, without spaces")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError as error:
        raise InvalidValue(f"the url is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue("the url must be absolute, http:// or https://, with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidValue("the url must not carry credentials (user:password@)")
    if parts.fragment:
        raise InvalidValue("the url must not carry a fragment (#...)")
    return url


def checked_description(description: str) -> str:
    check_text(description, "the description")
    stripped = description.strip()
    if not stripped or len(stripped) > DESCRIPTION_CHARS:
        raise InvalidValue(f"the description is 1 to {DESCRIPTION_CHARS} characters")
    return stripped


def _one(sql: Statements, ident: str) -> Subscription:
    sql.execute(
        f"SELECT {PUBLIC_COLUMNS} FROM {{ledger_webhook_subscriptions}} WHERE id = ?", (ident,)
    )
    row = sql.fetchone()
    if row is None:
        raise SubscriptionNotFound(f"no subscription {ident!r}")
    return subscription_of(row)


def subscription_of(row: Row) -> Subscription:
    return Subscription(
        id=str(row["id"]),
        owner=str(row["owner"]),
        url=str(row["url"]),
        description=row["description"],
        filter=FeedFilter.described(json.loads(row["filter"])),
        created_at=datetime.fromisoformat(row["created_at"]),
        status=str(row["status"]),
        cursor=int(row["cursor"]),
        attempt=int(row["attempt"]),
        failures=int(row["failures"]),
        deliveries=int(row["deliveries"]),
        last_error=row["last_error"],
        last_attempt_at=_moment(row["last_attempt_at"]),
        next_attempt_at=float(row["next_attempt_at"]),
        paused_at=_moment(row["paused_at"]),
    )


def _delivery(row: Row) -> Delivery:
    return Delivery(
        seq=int(row["seq"]),
        webhook_id=str(row["webhook_id"]),
        position=int(row["position"]),
        attempt=int(row["attempt"]),
        status_code=None if row["status_code"] is None else int(row["status_code"]),
        error=row["error"],
        attempted_at=datetime.fromisoformat(row["attempted_at"]),
        duration_ms=int(row["duration_ms"]),
    )


def _moment(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
