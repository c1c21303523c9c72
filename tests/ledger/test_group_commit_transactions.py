"""A group is stored in one transaction, and each of its writes keeps its own part of it: its
idempotency claim commits with it (a claim lost to a retry fails that write alone), a read at
any position sees whole writes only, and on SQLite the commit is on disk before any answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from application.commands import RecordAction
from application.commits import boundaries
from application.idempotency import (
    COMMITTED,
    IN_FLIGHT,
    Claim,
    ClaimLost,
    IdempotencyStore,
    IdempotentRequest,
    receipt_from_json,
)
from application.ledger import Ledger
from application.receipts import WriteReceipt
from application.storage import persistence_env
from application.tables import Tables
from domain.errors import SubjectNotFound
from tests.ledger import test_group_commit
from tests.ledger.test_group_commit import (
    ACTOR,
    CITED,
    Group,
    amend,
    assert_log_matches,
    designate,
    received,
    register,
    register_and_designate,
)
from tests.ledger.test_idempotency_claims import LEASE
from tests.support.clock import SecondsClock
from tests.support.ledgers import log_dump

group = test_group_commit.group  # the fixture that holds a group's first write


@pytest.fixture
def claims(tables: Tables, time: SecondsClock) -> IdempotencyStore:
    return IdempotencyStore(tables, now=time, ttl=86_400, lease=LEASE)


def claim(claims: IdempotencyStore, key: str) -> Claim:
    begun = claims.begin(IdempotentRequest("k1", key, "fingerprint"))
    assert isinstance(begun, Claim)
    return begun


def stored_claim(tables: Tables, key: str) -> tuple[str, WriteReceipt | None]:
    with tables.transaction(commit=False) as sql:
        sql.execute("SELECT state, receipt FROM {ledger_idempotency} WHERE key = ?", (key,))
        row = sql.fetchone()
    assert row is not None
    receipt = None if row["receipt"] is None else receipt_from_json(row["receipt"])
    return str(row["state"]), receipt


def test_each_idempotency_claim_commits_with_its_own_write(
    ledger: Ledger,
    group: Callable[[], Group],
    claims: IdempotencyStore,
    tables: Tables,
    time: SecondsClock,
) -> None:
    first, lost, last = (claim(claims, key) for key in ("first", "lost", "last"))
    time.now += LEASE + 1
    retry = claim(claims, "lost")  # took the key over: the first attempt can no longer commit
    lost_id = uuid.uuid4()
    writes = group()
    outcomes = [
        writes.add(register_and_designate("FIRST"), first),
        writes.add(register_and_designate("LOST", lost_id), lost),
        writes.add(designate(str(lost_id), ("DPRK3",))),  # checked again: LOST is not stored
        writes.add(register_and_designate("LAST"), last),
        writes.add(register_and_designate("UNCLAIMED")),
    ]
    writes.run()
    assert writes.sizes[:2] == [1, len(outcomes)]
    assert isinstance(outcomes[1].error, ClaimLost)
    assert isinstance(outcomes[2].error, SubjectNotFound)
    stored = [received(outcomes[i]) for i in (0, 3, 4)]
    assert_log_matches(ledger, [received(writes.outcomes[0]), *stored])
    assert len(log_dump(ledger)) == 2 * 4
    for key, receipt in (("first", stored[0]), ("last", stored[1])):
        state, planned = stored_claim(tables, key)
        assert state == COMMITTED
        assert planned is not None
        assert [e.event_id for e in planned.events] == [e.event_id for e in receipt.events]
    assert stored_claim(tables, "lost") == (IN_FLIGHT, None)
    again = ledger.execute(register_and_designate("LOST", lost_id), ACTOR, retry)
    assert again.subject_ids == [lost_id]
    assert stored_claim(tables, "lost")[0] == COMMITTED


def test_a_read_at_any_position_never_sees_part_of_one_write_of_a_group(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    shared = ledger.execute(register(name="SHARED"), ACTOR).subject_ids[0]
    writes = group()
    outcomes = [
        writes.add(register_and_designate("ALPHA")),
        writes.add(amend(shared, "ONE")),
        writes.add(
            RecordAction(
                (
                    register("BRAVO"),
                    designate("s"),
                    designate("s", ("DPRK3",)),
                ),
                citation=CITED,
            )
        ),
        writes.add(register_and_designate("CHARLIE")),
    ]
    writes.run()
    receipts = [received(writes.outcomes[0]), *(received(outcome) for outcome in outcomes)]
    ends = {0, 1, *(receipt.position for receipt in receipts if receipt.position)}
    found = boundaries(ledger.recorder)
    for position in range(1, ledger.last_position() + 1):
        assert found.at_or_before(position) == max(end for end in ends if end <= position)


def test_a_sqlite_ledger_commits_durably(tmp_path: Path) -> None:
    """Each commit is flushed to disk before the write is answered: the write-ahead log
    with ``synchronous=FULL``."""
    ledger = Ledger(env=persistence_env(f"sqlite:///{tmp_path}/durable.db"))
    try:
        with ledger.factory.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
    finally:
        ledger.close()
