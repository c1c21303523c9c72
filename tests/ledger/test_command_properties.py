"""Random sequences of valid and invalid commands against one subject, on every store.

An independent naive model predicts each command's outcome. A refused command must raise
the predicted error and leave the log byte for byte unchanged; an accepted one must be
readable back exactly as it was saved, and every past version must read as the model says.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from application.commands import Citation, RegisterSubject
from application.storage import persistence_env
from domain.errors import LedgerError
from domain.values import Actor, Name, Profile, SubjectKind
from tests.support.clock import FakeClock
from tests.support.depth import examples
from tests.support.ledgers import RecordingLedger, log_dump
from tests.support.model import Fact, NaiveLedger, NaiveSubject
from tests.support.operations import ORIGIN, SOURCE, Op, command_for, model_data, ops

ACTOR = Actor("tester", "property test")


@pytest.fixture
def recording_ledger(database_url: str, clock: FakeClock) -> Iterator[RecordingLedger]:
    app = RecordingLedger(env=persistence_env(database_url), clock=clock)
    try:
        yield app
    finally:
        app.close()


def measures_of(state: NaiveSubject) -> dict[int, tuple[object, ...]]:
    return {
        n: (str(m.kind), str(m.authority), m.start, m.end(), frozenset(m.programs_ever()))
        for n, m in state.measures.items()
    }


def ledger_measures(
    ledger: RecordingLedger, subject_id: UUID, version: int
) -> dict[int, tuple[object, ...]]:
    state = ledger.subject(subject_id, version).state
    return {
        n: (str(m.kind), str(m.authority), m.effective_from, m.end, m.programs)
        for n, m in state.measures.items()
    }


@settings(
    max_examples=examples(quick=15, deep=40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(ops(), min_size=4, max_size=24))
def test_commands_obey_the_rules_and_replay_exactly(
    recording_ledger: RecordingLedger, clock: FakeClock, sequence: list[Op]
) -> None:
    ledger = recording_ledger
    receipt = ledger.execute(
        RegisterSubject(
            kind=SubjectKind.PERSON,
            profile=Profile((Name("ALPHA"),)),
            effective_at=ORIGIN,
            citation=Citation(source=SOURCE),
        ),
        ACTOR,
    )
    subject_id = receipt.subject_ids[0]
    sid = str(subject_id)
    model = NaiveLedger()
    model.add(
        Fact(
            sid,
            1,
            receipt.events[0].position,
            "register",
            {"name": "ALPHA", "effective_at": ORIGIN},
        )
    )
    measure_count = 0
    version = 1

    for op in sequence:
        clock.advance(seconds=1)
        data = model_data(op, measure_count)
        expected = model.predict(Fact(sid, version + 1, 0, op.kind, data))
        before = log_dump(ledger)
        try:
            written = ledger.execute(command_for(op, subject_id), ACTOR)
        except LedgerError as error:
            event(f"{op.kind} refused: {type(error).__name__}")
            assert type(error).__name__ == expected, (op, error.detail)
            assert log_dump(ledger) == before, "a refused command changed the log"
            continue
        event(f"{op.kind} accepted")
        assert expected is None, (op, "was accepted but the model expected", expected)
        version = written.events[0].version
        measure_count += op.kind == "impose"
        model.add(Fact(sid, version, written.events[0].position, op.kind, data))

    # Read back exactly as saved.
    assert ledger.subject(subject_id) == ledger.saved[(subject_id, version)]
    # Every past version reads back exactly as it was saved, and as the model says.
    for past in range(1, version + 1):
        if (subject_id, past) in ledger.saved:
            assert ledger.subject(subject_id, past) == ledger.saved[(subject_id, past)]
        position = next(f.position for f in model.facts if f.version == past)
        assert ledger_measures(ledger, subject_id, past) == measures_of(model.fold(sid, position))
        assert ledger.subject(subject_id, past).version == past
