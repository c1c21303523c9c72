"""Links on every store: decisions recorded once per pair even when two writers meet,
clusters that join and split at the right points, and views that a replay reproduces."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from application.bootstrap import Services
from application.commands import (
    Citation,
    LinkSubjects,
    RegisterSubject,
    RejectLink,
    UnlinkSubjects,
)
from application.handlers import read_ahead
from application.idempotency import receipt_from_json, receipt_to_json
from application.linking.clusters import At, clusters_at, decided_pairs
from application.receipts import WriteReceipt
from application.views.check import check_views, dump
from domain.errors import LinkRefused
from domain.link import Evidence, Link
from domain.values import Actor, Name, Profile, SubjectKind
from tests.support.clock import FakeClock
from tests.support.ledgers import log_dump

ACTOR = Actor("k1", "operator")
WHY = Citation(reason="same passport")
LATER = datetime(2030, 1, 1, tzinfo=UTC)


def people(services: Services, count: int) -> list[UUID]:
    ids = []
    for index in range(count):
        command = RegisterSubject(SubjectKind.PERSON, Profile((Name(f"P{index}"),)))
        ids.append(services.ledger.execute(command, ACTOR).subject_ids[0])
    return sorted(ids, key=str)


def test_two_writers_deciding_one_pair_meet_on_its_stream(services: Services) -> None:
    a, b = people(services, 2)
    ledger = services.ledger
    first = ledger.execute(LinkSubjects((a, b), Evidence(names=("P",)), citation=WHY), ACTOR)
    before = log_dump(ledger)
    # A second writer that read the pair before the first one stored it: its save meets
    # the first on the link's first version, and checked again it is refused.
    with read_ahead({first.link_ids[0]: None}), pytest.raises(LinkRefused):
        ledger.execute(LinkSubjects((b, a), citation=WHY), ACTOR)
    assert log_dump(ledger) == before
    assert first.link_ids == [Link.id_for(b, a)]
    assert first.subject_ids == []


def test_clusters_join_and_split_at_their_points(services: Services, clock: FakeClock) -> None:
    a, b, c, d = people(services, 4)
    ledger = services.ledger
    clock.advance(days=1)
    ab = ledger.execute(LinkSubjects((b, a), citation=WHY), ACTOR)
    bc = ledger.execute(LinkSubjects((c, b), citation=WHY), ACTOR)
    rejected = ledger.execute(RejectLink((d, a), citation=Citation(reason="namesakes")), ACTOR)
    clock.advance(days=1)
    split = ledger.execute(UnlinkSubjects(ab.link_ids[0], citation=Citation(reason="no")), ACTOR)
    services.projector.catch_up()

    def at(position: int | None) -> At:
        return At(LATER, ledger.last_position() if position is None else position)

    def just_before(receipt: WriteReceipt) -> At:
        assert receipt.position is not None
        return at(receipt.position - 1)

    ids = [str(s) for s in (a, b, c, d)]
    assert clusters_at(services.views, just_before(ab)) == {}
    assert clusters_at(services.views, at(ab.position)) == dict.fromkeys(ids[:2], "cl_" + ids[0])
    assert clusters_at(services.views, at(bc.position)) == dict.fromkeys(ids[:3], "cl_" + ids[0])
    assert clusters_at(services.views, at(split.position)) == dict.fromkeys(
        ids[1:3], "cl_" + ids[1]
    )
    assert decided_pairs(services.views, just_before(rejected)) == {
        frozenset(ids[:2]),
        frozenset(ids[1:3]),
    }
    assert decided_pairs(services.views, at(None)) == {
        frozenset(ids[:2]),
        frozenset(ids[1:3]),
        frozenset((ids[0], ids[3])),
    }


def test_the_views_of_links_replay_and_rebuild_equal(services: Services, clock: FakeClock) -> None:
    a, b, c = people(services, 3)
    ledger = services.ledger
    linked = ledger.execute(LinkSubjects((a, b), citation=WHY), ACTOR)
    clock.advance(days=1)
    unlink = UnlinkSubjects(linked.link_ids[0], citation=Citation(reason="never the same"))
    ledger.execute(unlink, ACTOR)
    ledger.execute(RejectLink((a, c), citation=Citation(reason="namesakes")), ACTOR)
    ledger.execute(LinkSubjects((b, a), citation=Citation(reason="same after all")), ACTOR)
    services.projector.catch_up()
    position, before = dump(services.views)
    # a-b: linked; then linked until the unlinking and unlinked; a-c: rejected; a-b
    # relinked at the unlinking's own time, whose period it empties: linked again.
    assert len(before["link_segments"]) == 5
    assert check_views(ledger, services.views).ok
    services.projector.rebuild()
    assert dump(services.views) == (position, before)


def test_a_link_receipt_survives_its_idempotency_record(services: Services) -> None:
    a, b = people(services, 2)
    receipt = services.ledger.execute(LinkSubjects((a, b), citation=WHY), ACTOR)
    again = receipt_from_json(receipt_to_json(receipt))
    assert again == receipt
    assert again.link_ids == [Link.id_for(a, b)]
    assert again.subject_ids == []
