"""Reading many aggregates in one query gives what reading each alone gives, on every store,
and a command run with aggregates read ahead records what it records without them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from application.commands import AmendProfile, Citation, RescindMeasure
from application.demo.founding_example import demo_subject_id, load_founding_example
from application.handlers import read_ahead
from application.ledger import Ledger
from application.read_ahead import read_aggregates
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject
from domain.values import Actor, Authority, Name, Profile, Reference, Source

ACTOR = Actor("k1", "operator")
CITED = Citation(source=Source(Authority.US_OFAC, "test"))
SOIN = demo_subject_id("ofac-34021")


def test_many_aggregates_read_at_once_are_those_read_one_by_one(ledger: Ledger) -> None:
    load_founding_example(ledger, ACTOR)
    ledger.execute(
        RescindMeasure(f"{SOIN}.1", datetime(2022, 1, 5, tzinfo=UTC), citation=CITED), ACTOR
    )
    claim_id = ReferenceClaim.id_for(Reference(Authority.US_OFAC, "34021"))
    subject_ids = [SOIN, demo_subject_id("ofac-34020")]
    absent = uuid4()

    found = read_aggregates(ledger, [*subject_ids, claim_id, absent, SOIN])

    assert list(found) == [*subject_ids, claim_id, absent]
    assert found[absent] is None
    for aggregate_id in (*subject_ids, claim_id):
        alone: object = ledger.repository.get(aggregate_id)
        assert found[aggregate_id] == alone
        assert vars(found[aggregate_id]) == vars(alone)


def test_a_command_run_on_aggregates_read_ahead_records_the_same(ledger: Ledger) -> None:
    load_founding_example(ledger, ACTOR)
    renamed = AmendProfile(SOIN, Profile((Name("SOIN, Dmitry"),)), citation=CITED)
    ahead = read_aggregates(ledger, [SOIN])

    with read_ahead(ahead):
        receipt = ledger.execute(renamed, ACTOR)

    subject = ledger.subject(SOIN)
    assert isinstance(subject, Subject)
    assert [e.event_id for e in receipt.events] == [f"{SOIN}@{subject.version}"]
    assert subject.state.profile_history[-1].value == renamed.profile


def test_an_aggregate_gone_stale_since_it_was_read_ahead_costs_only_a_retry(
    ledger: Ledger,
) -> None:
    load_founding_example(ledger, ACTOR)
    ahead = read_aggregates(ledger, [SOIN])
    ledger.execute(AmendProfile(SOIN, Profile((Name("FIRST"),)), citation=CITED), ACTOR)
    version = ledger.subject(SOIN).version

    with read_ahead(ahead):
        ledger.execute(AmendProfile(SOIN, Profile((Name("SECOND"),)), citation=CITED), ACTOR)

    subject = ledger.subject(SOIN)
    assert subject.version == version + 1
    names = [change.value.primary_name for change in subject.state.profile_history[-2:]]
    assert names == ["FIRST", "SECOND"]
