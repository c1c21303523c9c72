"""Commands through the application, on every store: atomic actions, references, versions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from application.commands import (
    Citation,
    ImposeMeasure,
    RecordAction,
    RegisterSubject,
    RescindMeasure,
)
from application.demo.founding_example import founding_action, load_founding_example
from application.ledger import Ledger
from domain.errors import MeasureOverlap, ReferenceTaken, SubjectNotFound
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Reference,
    Source,
    SubjectKind,
)
from tests.support.ledgers import log_dump

ACTOR = Actor("k1", "operator")
CITED = Citation(source=Source(Authority.US_OFAC, "test"))
DAY = datetime(2021, 12, 10, tzinfo=UTC)


def register(key: str, reference: str) -> RegisterSubject:
    return RegisterSubject(
        kind=SubjectKind.PERSON,
        profile=Profile((Name(key.upper()),)),
        references=(Reference(Authority.US_OFAC, reference),),
        citation=CITED,
        key=key,
    )


def designate(subject: str) -> ImposeMeasure:
    return ImposeMeasure(
        subject=subject,
        kind=MeasureKind.DESIGNATION,
        authority=Authority.US_OFAC,
        programs=("GLOMAG",),
        effective_from=DAY,
        citation=CITED,
    )


def test_an_action_records_every_item_in_one_go(ledger: Ledger) -> None:
    receipt = ledger.execute(
        RecordAction((register("a", "1"), designate("a"), register("b", "2"), designate("b"))),
        ACTOR,
    )
    assert len(receipt.subject_ids) == 2
    assert len(receipt.measure_ids) == 2
    positions = [event.position for event in receipt.events]
    assert positions == sorted(positions)
    assert receipt.position is not None and receipt.position >= positions[-1]


def test_an_action_with_one_bad_item_records_nothing(ledger: Ledger) -> None:
    ledger.execute(register("a", "1"), ACTOR)
    before = log_dump(ledger)
    with pytest.raises(MeasureOverlap):
        ledger.execute(RecordAction((register("b", "2"), designate("b"), designate("b"))), ACTOR)
    assert log_dump(ledger) == before


def test_a_reference_identifies_one_subject_only(ledger: Ledger) -> None:
    first = ledger.execute(register("a", "34021"), ACTOR).subject_ids[0]
    before = log_dump(ledger)
    with pytest.raises(ReferenceTaken) as refused:
        ledger.execute(register("b", "34021"), ACTOR)
    assert refused.value.subject_id == str(first)
    assert log_dump(ledger) == before
    assert ledger.subject_id_for(Reference(Authority.US_OFAC, "34021")) == first


def test_a_rescission_names_its_measure_and_reads_back(ledger: Ledger) -> None:
    receipt = ledger.execute(RecordAction((register("a", "1"), designate("a"))), ACTOR)
    measure_id = receipt.measure_ids[0]
    ledger.execute(
        RescindMeasure(measure_id, datetime(2022, 1, 5, tzinfo=UTC), citation=CITED), ACTOR
    )
    subject = ledger.subject(receipt.subject_ids[0])
    measure = subject.state.measures[1]
    assert measure.rescinded_at == datetime(2022, 1, 5, tzinfo=UTC)
    assert subject.events[-1].recorded_by == ACTOR


def test_an_unknown_subject_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(SubjectNotFound):
        ledger.execute(designate("00000000-0000-0000-0000-000000000001"), ACTOR)


def test_the_founding_example_loads_once(ledger: Ledger) -> None:
    receipt = load_founding_example(ledger, ACTOR)
    assert receipt is not None
    assert len(receipt.subject_ids) == len(founding_action().items) // 2
    assert load_founding_example(ledger, ACTOR) is None
