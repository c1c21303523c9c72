"""The delivery worker's side of the subscriptions table: leases, cursors, the delivery log.

Every change a worker makes is a compare-and-set on the row it last read: the lease's owner,
the cursor and the count of logged attempts must still be what the worker saw, or the change
is refused (``LeaseLost``) and rolled back whole. So a worker that lost its lease (it stalled
past it and another took over), or whose subscription was deleted, paused or resumed under
it, can never move a cursor or write a log row over another's: at worst it has sent one
delivery more, which the receiver recognises by its ``webhook-id``.

A delivery's success moves the cursor and writes its log row in one transaction, committed
only after the receiver answered 2xx. A worker killed before that commit leaves the cursor
where it was, and the item is delivered again: at least once, never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from application.tables import Row, Statements, Tables
from application.webhooks.subscriptions import (
    ACTIVE,
    PAUSED,
    PUBLIC_COLUMNS,
    Subscription,
    subscription_of,
)

ERROR_CHARS = 500
"""How much of a failure's description is kept."""


class LeaseLost(Exception):
    """The subscription changed under this worker: it must stop working on it."""


@dataclass(frozen=True)
class Work:
    """A subscription as the worker holding its lease sees it, secret included."""

    subscription: Subscription
    secret: str
    owner: str


@dataclass(frozen=True)
class Attempt:
    """One delivery's outcome, as the log keeps it."""

    webhook_id: str
    position: int
    status_code: int | None
    error: str | None
    attempted_at: datetime
    duration_ms: int


class Progress:
    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def candidates(self, owner: str, now: float) -> list[str]:
        """Active subscriptions no other worker holds a live lease on."""
        with self.tables.transaction(commit=False) as sql:
            sql.execute(
                "SELECT id FROM {ledger_webhook_subscriptions} WHERE status = ? "
                "AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?) ORDER BY id",
                (ACTIVE, owner, now),
            )
            return [str(row["id"]) for row in sql.fetchall()]

    def acquire(self, ident: str, owner: str, now: float, lease: float) -> Work | None:
        """Take the subscription's lease if it is free, expired or already ours."""
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "UPDATE {ledger_webhook_subscriptions} SET lease_owner = ?, lease_until = ? "
                "WHERE id = ? AND status = ? "
                "AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?) RETURNING id",
                (owner, now + lease, ident, ACTIVE, owner, now),
            )
            if sql.fetchone() is None:
                return None
            return _work(sql, ident, owner)

    def renew(self, work: Work, now: float, lease: float) -> Work:
        """The lease extended, and the subscription as it stands now; ``LeaseLost`` if it
        is no longer this worker's to deliver (taken over, deleted, paused, or changed by
        anyone but this worker: a resumption)."""
        current = work.subscription
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "UPDATE {ledger_webhook_subscriptions} SET lease_until = ? "
                "WHERE id = ? AND lease_owner = ? AND status = ? RETURNING id",
                (now + lease, current.id, work.owner, ACTIVE),
            )
            if sql.fetchone() is None:
                raise LeaseLost(current.id)
            return _work(sql, current.id, work.owner)

    def release(self, work: Work) -> None:
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "UPDATE {ledger_webhook_subscriptions} SET lease_owner = NULL, lease_until = 0 "
                "WHERE id = ? AND lease_owner = ?",
                (work.subscription.id, work.owner),
            )

    def pass_over(self, work: Work, position: int) -> Work:
        """Move the cursor over events that do not match the filter: nothing to deliver."""
        current = work.subscription
        if position <= current.cursor:
            return work
        with self.tables.transaction(commit=True) as sql:
            _compare_and_set(
                sql,
                work,
                "cursor = ?, attempt = 0",
                (position,),
            )
        return replace(work, subscription=replace(current, cursor=position, attempt=0))

    def delivered(self, work: Work, attempt: Attempt) -> Work:
        """The receiver took the item: the cursor moves past it and the log row is
        written, in one transaction."""
        current = work.subscription
        seq = current.deliveries + 1
        with self.tables.transaction(commit=True) as sql:
            _compare_and_set(
                sql,
                work,
                "cursor = ?, attempt = 0, failures = 0, deliveries = ?, last_error = NULL, "
                "last_attempt_at = ?, next_attempt_at = 0",
                (attempt.position, seq, _iso(attempt.attempted_at)),
            )
            _log(sql, current.id, seq, current.attempt + 1, attempt)
        return replace(
            work,
            subscription=replace(
                current,
                cursor=attempt.position,
                attempt=0,
                failures=0,
                deliveries=seq,
                last_error=None,
                last_attempt_at=attempt.attempted_at,
                next_attempt_at=0,
            ),
        )

    def failed(self, work: Work, attempt: Attempt, retry_at: float, pause: bool) -> Work:
        """The receiver refused or could not be reached: the cursor stays, the failure is
        counted and logged, the next attempt is due at ``retry_at``, and past the limit the
        subscription is paused (which ends this worker's lease on it)."""
        current = work.subscription
        seq = current.deliveries + 1
        error = _error_text(attempt)
        status = PAUSED if pause else ACTIVE
        paused_at = _iso(attempt.attempted_at) if pause else None
        with self.tables.transaction(commit=True) as sql:
            _compare_and_set(
                sql,
                work,
                "attempt = attempt + 1, failures = failures + 1, deliveries = ?, "
                "last_error = ?, last_attempt_at = ?, next_attempt_at = ?, status = ?, "
                "paused_at = ?",
                (seq, error, _iso(attempt.attempted_at), retry_at, status, paused_at),
            )
            _log(sql, current.id, seq, current.attempt + 1, attempt)
        return replace(
            work,
            subscription=replace(
                current,
                attempt=current.attempt + 1,
                failures=current.failures + 1,
                deliveries=seq,
                last_error=error,
                last_attempt_at=attempt.attempted_at,
                next_attempt_at=retry_at,
                status=status,
            ),
        )


def _compare_and_set(
    sql: Statements, work: Work, assignments: str, values: tuple[object, ...]
) -> None:
    """Apply the assignments only if the row is still as the worker last saw it."""
    current = work.subscription
    sql.execute(
        f"UPDATE {{ledger_webhook_subscriptions}} SET {assignments} "
        "WHERE id = ? AND lease_owner = ? AND status = ? AND cursor = ? AND deliveries = ? "
        "AND failures = ? RETURNING id",
        (
            *values,
            current.id,
            work.owner,
            ACTIVE,
            current.cursor,
            current.deliveries,
            current.failures,
        ),
    )
    if sql.fetchone() is None:
        raise LeaseLost(current.id)


def _log(sql: Statements, ident: str, seq: int, number: int, attempt: Attempt) -> None:
    sql.execute(
        "INSERT INTO {ledger_webhook_deliveries} (subscription_id, seq, webhook_id, position, "
        "attempt, status_code, error, attempted_at, duration_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ident,
            seq,
            attempt.webhook_id,
            attempt.position,
            number,
            attempt.status_code,
            _error_text(attempt),
            _iso(attempt.attempted_at),
            attempt.duration_ms,
        ),
    )


def _work(sql: Statements, ident: str, owner: str) -> Work:
    sql.execute(
        f"SELECT {PUBLIC_COLUMNS}, secret FROM {{ledger_webhook_subscriptions}} WHERE id = ?",
        (ident,),
    )
    row: Row | None = sql.fetchone()
    if row is None:
        raise LeaseLost(ident)
    return Work(subscription_of(row), str(row["secret"]), owner)


def _error_text(attempt: Attempt) -> str | None:
    if attempt.error is None:
        return None
    return attempt.error[:ERROR_CHARS]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
