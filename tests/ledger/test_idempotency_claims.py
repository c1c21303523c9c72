"""A write and its idempotency claim commit together or not at all, on every store.

These tests stop an attempt at each point where a process could die and check that a retry
neither loses the write nor records it twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from application.commands import AmendProfile, Citation, RegisterSubject
from application.idempotency import (
    COMMITTED,
    IN_FLIGHT,
    Claim,
    ClaimLost,
    IdempotencyStore,
    IdempotentRequest,
)
from application.ledger import Ledger
from application.receipts import WriteReceipt
from application.tables import Tables
from domain.provenance import Provenance
from domain.values import Actor, Authority, Name, Profile, Source, SubjectKind
from tests.support.clock import SecondsClock
from tests.support.ledgers import log_dump

ACTOR = Actor("k1", "claims test")
CITED = Citation(source=Source(Authority.UK, "claims"))
LEASE = 60.0


@pytest.fixture
def store(tables: Tables, time: SecondsClock) -> IdempotencyStore:
    return IdempotencyStore(tables, now=time, ttl=86_400, lease=LEASE)


def register(name: str = "ALPHA") -> RegisterSubject:
    return RegisterSubject(kind=SubjectKind.PERSON, profile=Profile((Name(name),)), citation=CITED)


def begin(store: IdempotencyStore, key: str = "retry-me") -> Claim:
    claim = store.begin(IdempotentRequest("k1", key, "fingerprint"))
    assert isinstance(claim, Claim)
    return claim


def state_of(tables: Tables, key: str = "retry-me") -> str:
    with tables.transaction(commit=False) as sql:
        sql.execute("SELECT state FROM {ledger_idempotency} WHERE key = ?", (key,))
        row = sql.fetchone()
    assert row is not None
    return str(row["state"])


def test_a_retry_after_a_crash_past_the_commit_answers_from_the_receipt(
    ledger: Ledger, store: IdempotencyStore, tables: Tables, time: SecondsClock
) -> None:
    first: WriteReceipt = ledger.execute(register(), ACTOR, begin(store))
    # The process dies here: the answer was never stored.
    assert state_of(tables) == COMMITTED
    recorded = log_dump(ledger)
    time.now += LEASE + 1
    retry = begin(store)
    assert retry.recorded is not None
    assert ledger.execute(register(), ACTOR, retry) == first
    assert log_dump(ledger) == recorded


def test_a_retry_after_a_crash_before_the_commit_records_the_write_once(
    ledger: Ledger, store: IdempotencyStore, time: SecondsClock
) -> None:
    begin(store)  # The process dies before its write's transaction.
    assert log_dump(ledger) == []
    time.now += LEASE + 1
    retry = begin(store)
    assert retry.recorded is None
    ledger.execute(register(), ACTOR, retry)
    assert len(log_dump(ledger)) == 1


def test_an_attempt_that_lost_its_claim_records_nothing(
    ledger: Ledger, store: IdempotencyStore, time: SecondsClock
) -> None:
    slow = begin(store)
    time.now += LEASE + 1
    retry = begin(store)
    with pytest.raises(ClaimLost):
        ledger.execute(register(), ACTOR, slow)
    assert log_dump(ledger) == []
    ledger.execute(register(), ACTOR, retry)
    assert len(log_dump(ledger)) == 1


def test_a_failed_insert_leaves_the_claim_as_it_was(
    ledger: Ledger, store: IdempotencyStore, tables: Tables
) -> None:
    """The claim is marked in the same transaction as the insert: when the insert fails
    (here on a stale version), the mark is rolled back with it."""
    subject_id: UUID = ledger.execute(register(), ACTOR).subject_ids[0]
    stale = ledger.subject(subject_id)
    ledger.execute(
        AmendProfile(subject=subject_id, profile=Profile((Name("BRAVO"),)), citation=CITED), ACTOR
    )
    recorded = log_dump(ledger)
    stale.amend_profile(
        profile=Profile((Name("CHARLIE"),)),
        references=None,
        effective_at=datetime(2022, 1, 1, tzinfo=UTC),
        provenance=Provenance(ACTOR, datetime(2026, 1, 5, tzinfo=UTC)),
    )
    hook = begin(store).commit_hook(WriteReceipt((), None))
    with pytest.raises(IntegrityError):
        ledger.save(stale, within_transaction=hook)
    assert state_of(tables) == IN_FLIGHT
    assert log_dump(ledger) == recorded
