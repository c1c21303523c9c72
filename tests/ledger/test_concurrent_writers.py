"""Two real processes writing to the same subject on PostgreSQL at the same time.

Every write must be either stored once or answered with a conflict; none may be lost. Writes
that do not pin a version are redone on the fresh state after losing a race; writes pinned to
a version lose the race with a precondition failure instead.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.commands import AmendProfile, Citation, RegisterSubject
from application.errors import PreconditionFailed, WriteConflict
from application.ledger import Ledger
from application.storage import persistence_env
from domain.subject import Subject
from domain.values import Actor, Authority, Name, Profile, Source, SubjectKind
from tests.support.stores import PostgresDatabase

WRITES_PER_PROCESS = 40
CITED = Citation(source=Source(Authority.US_OFAC, "race"))


def _writer(url: str, subject_id: str, name: str, pinned: bool, out: Any) -> None:
    ledger = Ledger(env=persistence_env(url))
    outcomes: list[tuple[str, str | None]] = []
    try:
        for n in range(WRITES_PER_PROCESS):
            expected = ledger.subject(UUID(subject_id)).version if pinned else None
            command = AmendProfile(
                subject=subject_id,
                profile=Profile((Name(f"{name}-{n}"),)),
                effective_at=datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=n),
                citation=CITED,
                expected_version=expected,
            )
            try:
                receipt = ledger.execute(command, Actor(name, name))
                outcomes.append(("stored", receipt.events[0].event_id))
            except (WriteConflict, PreconditionFailed) as conflict:
                outcomes.append(("conflict", type(conflict).__name__))
    finally:
        ledger.close()
    out.put((name, outcomes))


def race(url: str, pinned: bool) -> tuple[Ledger, str, list[tuple[str, str | None]]]:
    ledger = Ledger(env=persistence_env(url))
    subject_id = ledger.execute(
        RegisterSubject(kind=SubjectKind.PERSON, profile=Profile((Name("START"),)), citation=CITED),
        Actor("setup", "setup"),
    ).subject_ids[0]
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    writers = [
        context.Process(target=_writer, args=(url, str(subject_id), name, pinned, queue))
        for name in ("left", "right")
    ]
    for process in writers:
        process.start()
    results = [queue.get(timeout=120) for _ in writers]
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    outcomes = [outcome for _, batch in results for outcome in batch]
    return ledger, str(subject_id), outcomes


@pytest.mark.slow_on_postgres
@pytest.mark.postgres
@pytest.mark.parametrize("pinned", [False, True], ids=["retrying", "pinned-to-version"])
def test_every_concurrent_write_is_stored_once_or_refused(
    postgres: PostgresDatabase, pinned: bool
) -> None:
    ledger, subject_id, outcomes = race(postgres.new_schema(), pinned)
    try:
        subject = ledger.subject(UUID(subject_id))
        stored = [str(event_id) for verdict, event_id in outcomes if verdict == "stored"]
        recorded = [e.event_id for e in subject.events[1:]]
        assert len(outcomes) == 2 * WRITES_PER_PROCESS
        assert sorted(stored) == sorted(recorded), "a stored write is missing or doubled"
        assert len(set(recorded)) == len(recorded)
        names = [
            e.profile.primary_name
            for e in subject.events[1:]
            if isinstance(e, Subject.ProfileAmended)
        ]
        assert len(set(names)) == len(names), "one write was recorded twice"
        conflicts = [outcome for verdict, outcome in outcomes if verdict == "conflict"]
        assert len(stored) + len(conflicts) == 2 * WRITES_PER_PROCESS
        assert stored, "no write got through at all"
        if pinned:
            assert conflicts, "two writers pinned to versions never collided: no race was run"
    finally:
        ledger.close()
