"""Idempotency keys: a retried write is recorded once, and answered as it was the first time.

A client sends the same ``Idempotency-Key`` with every retry of one request. The first
attempt *claims* the key (a row in ``ledger_idempotency``, scoped to the client's API key,
holding a fingerprint of the request); a repeat with another fingerprint is refused, one
that arrives while the claim is held is told the first is still running, and one that comes
after the first finished gets the first response back, recording nothing.

Why a write can never be recorded twice, even across crashes: the write's own transaction
moves the claim from ``in_flight`` to ``committed`` (storing the write's receipt) in the
same database transaction that stores the events, and only while the claim still carries
the token of the attempt that holds it. So either the events and the ``committed`` mark are
both stored, or neither is:

- a crash before that transaction leaves an ``in_flight`` claim and no events; once its
  lease runs out a retry takes the claim over and records the write, once;
- a crash after it leaves a ``committed`` claim whose response was never stored; a retry
  finds the receipt there and answers from it, recording nothing;
- an attempt that outlived its lease and lost the claim to a retry can no longer commit:
  its transaction finds another token and rolls back.

The full HTTP response is stored after the transaction, for repeats to get back byte for
byte. Claims expire ``ttl`` seconds after the first attempt; after that the key is free.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from application.receipts import RecordedEvent, WriteReceipt
from application.tables import Row, Tables
from domain.errors import LedgerError

IN_FLIGHT, COMMITTED, DONE = "in_flight", "committed", "done"
Now = Callable[[], float]

DDL = [
    """CREATE TABLE IF NOT EXISTS {ledger_idempotency} (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL,
        token TEXT NOT NULL,
        locked_until {REAL} NOT NULL,
        expires_at {REAL} NOT NULL,
        receipt TEXT,
        status INTEGER,
        headers TEXT,
        body {BLOB},
        PRIMARY KEY (scope, key)
    )""",
    "CREATE INDEX IF NOT EXISTS ledger_idempotency_expiry ON {ledger_idempotency} (expires_at)",
]


class IdempotencyKeyInUse(LedgerError):
    """A repeat arrived while the first request with the key is still being answered."""


class IdempotencyKeyReused(LedgerError):
    """The key was first used for a different request."""


class ClaimLost(LedgerError):
    """This attempt held the key too long and a retry took it over; it recorded nothing."""


@dataclass(frozen=True)
class IdempotentRequest:
    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Claim:
    """An idempotency key held by one attempt of a request.

    ``recorded`` is the receipt of a write an earlier attempt committed but did not get to
    answer: the ledger answers from it instead of recording again.
    """

    request: IdempotentRequest
    token: str
    store: IdempotencyStore = field(repr=False)
    recorded: WriteReceipt | None = None

    def commit_hook(self, planned: WriteReceipt) -> Callable[[Any], None]:
        """What the write's transaction runs to mark this claim committed with its receipt."""

        def commit(cursor: Any) -> None:
            self.store.commit(self, cursor, planned)

        return commit


class IdempotencyStore:
    def __init__(self, tables: Tables, now: Now, ttl: float, lease: float) -> None:
        self.tables = tables
        self.now = now
        self.ttl = ttl
        self.lease = lease
        self.purged_at = 0.0
        tables.create(DDL)

    def begin(self, request: IdempotentRequest) -> Claim | StoredResponse:
        """Claim the key for this attempt, or the stored first response to answer with."""
        now, token = self.now(), secrets.token_hex(16)
        self._purge_now_and_then(now)
        key = (request.scope, request.key)
        with self.tables.transaction(commit=True) as sql:
            # Written first so that the transaction holds the write lock from the start.
            sql.execute(
                "INSERT INTO {ledger_idempotency} "
                "(scope, key, fingerprint, state, token, locked_until, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING RETURNING token",
                (*key, request.fingerprint, IN_FLIGHT, token, now + self.lease, now + self.ttl),
            )
            if sql.fetchone() is not None:
                return Claim(request, token, self)
            lock = " FOR UPDATE" if self.tables.dialect == "postgres" else ""
            sql.execute(
                f"SELECT * FROM {{ledger_idempotency}} WHERE scope = ? AND key = ?{lock}", key
            )
            row = sql.fetchone()
            assert row is not None, "a claim is never deleted inside another's transaction"
            if row["expires_at"] <= now:
                sql.execute("DELETE FROM {ledger_idempotency} WHERE scope = ? AND key = ?", key)
                sql.execute(
                    "INSERT INTO {ledger_idempotency} "
                    "(scope, key, fingerprint, state, token, locked_until, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key, request.fingerprint, IN_FLIGHT, token, now + self.lease, now + self.ttl),
                )
                return Claim(request, token, self)
            return self._existing(sql, row, request, token, now)

    def _existing(
        self, sql: Any, row: Row, request: IdempotentRequest, token: str, now: float
    ) -> Claim | StoredResponse:
        if row["fingerprint"] != request.fingerprint:
            raise IdempotencyKeyReused(
                f"the Idempotency-Key {request.key!r} was first used for another request "
                "(another method, path or body); use a new key for a new request"
            )
        if row["state"] == DONE:
            return StoredResponse(
                int(row["status"]), json.loads(row["headers"]), bytes(row["body"])
            )
        if row["locked_until"] > now:
            raise IdempotencyKeyInUse(
                f"a request with the Idempotency-Key {request.key!r} is still being answered; "
                "retry in a moment to get its response"
            )
        # The attempt holding the key died or gave up: this one takes over.
        sql.execute(
            "UPDATE {ledger_idempotency} SET token = ?, locked_until = ? "
            "WHERE scope = ? AND key = ?",
            (token, now + self.lease, request.scope, request.key),
        )
        recorded = None if row["receipt"] is None else receipt_from_json(row["receipt"])
        return Claim(request, token, self, recorded)

    def commit(self, claim: Claim, cursor: Any, planned: WriteReceipt) -> None:
        """Mark the claim committed, inside the write's transaction (``cursor``; ``None``
        for the in-memory store, whose writes are serialised by its own lock)."""
        statement = (
            "UPDATE {ledger_idempotency} SET state = ?, receipt = ? "
            "WHERE scope = ? AND key = ? AND token = ? AND state = ? RETURNING token"
        )
        params = (
            COMMITTED,
            receipt_to_json(planned),
            claim.request.scope,
            claim.request.key,
            claim.token,
            IN_FLIGHT,
        )
        if cursor is None:
            with self.tables.transaction(commit=True) as sql:
                sql.execute(statement, params)
                held = sql.fetchone() is not None
        else:
            sql = self.tables.within(cursor)
            sql.execute(statement, params)
            held = sql.fetchone() is not None
        if not held:
            raise ClaimLost(
                f"the request with the Idempotency-Key {claim.request.key!r} took too long and "
                "a retry took it over; this attempt recorded nothing"
            )

    def finish(self, claim: Claim, response: StoredResponse) -> None:
        """Keep the response for repeats to get back."""
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "UPDATE {ledger_idempotency} SET state = ?, status = ?, headers = ?, body = ? "
                "WHERE scope = ? AND key = ? AND token = ?",
                (
                    DONE,
                    response.status,
                    json.dumps(response.headers),
                    response.body,
                    claim.request.scope,
                    claim.request.key,
                    claim.token,
                ),
            )

    def release(self, claim: Claim) -> None:
        """Give the key up after an attempt that produced no answer worth repeating: a retry
        may try again at once. A committed write stays committed, for a retry to answer from."""
        key = (claim.request.scope, claim.request.key, claim.token)
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "DELETE FROM {ledger_idempotency} "
                "WHERE scope = ? AND key = ? AND token = ? AND state = ?",
                (*key, IN_FLIGHT),
            )
            sql.execute(
                "UPDATE {ledger_idempotency} SET locked_until = 0 "
                "WHERE scope = ? AND key = ? AND token = ?",
                key,
            )

    def _purge_now_and_then(self, now: float) -> None:
        """Drop expired claims at most once a minute, so that the table stays small without
        a job of its own."""
        if now - self.purged_at < 60:
            return
        self.purged_at = now
        with self.tables.transaction(commit=True) as sql:
            sql.execute("DELETE FROM {ledger_idempotency} WHERE expires_at <= ?", (now,))


def receipt_to_json(receipt: WriteReceipt) -> str:
    return json.dumps(
        {
            "position": receipt.position,
            "events": [
                [str(e.subject_id), e.version, e.type, e.position, e.measure_id]
                for e in receipt.events
            ],
        }
    )


def receipt_from_json(text: str) -> WriteReceipt:
    data = json.loads(text)
    events = tuple(
        RecordedEvent(
            event_id=f"{subject_id}@{version}",
            subject_id=UUID(subject_id),
            version=version,
            type=kind,
            position=position,
            measure_id=measure_id,
        )
        for subject_id, version, kind, position, measure_id in data["events"]
    )
    return WriteReceipt(events, data["position"])
