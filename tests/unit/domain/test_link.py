"""The link aggregate: one stream per unordered pair, decisions in order, each refusal typed
and leaving the link as it was."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.errors import ImplausibleDate, InvalidValue, LinkRefused
from domain.link import LINKED, REJECTED, UNLINKED, Evidence, Link
from domain.provenance import Provenance
from domain.values import Actor, Identifier

A = UUID("00000000-0000-4000-8000-00000000000a")
B = UUID("00000000-0000-4000-8000-00000000000b")
WHO = Actor("k1", "operator")
SAME = Evidence(identifiers=(Identifier("passport", "100123456", "RU"),), score=0.97)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def why(reason: str | None = "same passport", recorded: str = "2022-02-01") -> Provenance:
    return Provenance(WHO, at(recorded), None, reason)


def linked(effective: str = "2022-01-01") -> Link:
    return Link.first(LINKED, (B, A), SAME, at(effective), why())


def refused(link: Link, error: type[Exception], decide: Callable[[], object]) -> None:
    version, decisions = link.version, list(link.decisions)
    with pytest.raises(error):
        decide()
    assert (link.version, link.decisions) == (version, decisions)


def test_the_pair_has_one_id_whatever_its_order() -> None:
    assert Link.id_for(A, B) == Link.id_for(B, A) == linked().id
    assert linked().subject_ids == (A, B)
    assert Link.id_for(A, B) != Link.id_for(A, UUID(int=3))


def test_a_subject_is_not_linked_to_itself() -> None:
    with pytest.raises(InvalidValue):
        Link.first(LINKED, (A, A), SAME, at("2022-01-01"), why())


def test_every_decision_needs_a_reason() -> None:
    with pytest.raises(InvalidValue):
        Link.first(LINKED, (A, B), SAME, at("2022-01-01"), why("  "))
    link = linked()
    refused(
        link, InvalidValue, lambda: link.decide(UNLINKED, Evidence(), at("2022-03-01"), why(""))
    )


def test_the_first_decision_is_a_link_or_a_rejection() -> None:
    with pytest.raises(LinkRefused):
        Link.first(UNLINKED, (A, B), SAME, at("2022-01-01"), why())
    assert Link.first(REJECTED, (A, B), SAME, at("2022-01-01"), why()).status == REJECTED


def test_the_order_of_decisions() -> None:
    link = linked()
    refused(link, LinkRefused, lambda: link.decide(LINKED, SAME, at("2022-02-01"), why()))
    refused(link, LinkRefused, lambda: link.decide(REJECTED, SAME, at("2022-02-01"), why()))
    link.decide(UNLINKED, Evidence(), at("2022-03-01"), why("wrong"))
    refused(link, LinkRefused, lambda: link.decide(UNLINKED, SAME, at("2022-04-01"), why()))
    link.decide(REJECTED, Evidence(), at("2022-03-01"), why("namesakes"))
    refused(link, LinkRefused, lambda: link.decide(REJECTED, SAME, at("2022-04-01"), why()))
    link.decide(LINKED, SAME, at("2022-05-01"), why("same after all"))
    assert [d.STATUS for d in link.decisions] == [LINKED, UNLINKED, REJECTED, LINKED]
    assert link.version == 4


def test_no_decision_takes_effect_before_the_previous_one() -> None:
    link = linked("2022-01-01")
    refused(link, LinkRefused, lambda: link.decide(UNLINKED, SAME, at("2021-12-31"), why()))


def test_implausible_dates_need_confirming() -> None:
    with pytest.raises(ImplausibleDate):
        Link.first(LINKED, (A, B), SAME, at("1900-01-01"), why())
    confirmed = Link.first(
        LINKED, (A, B), SAME, at("1900-01-01"), why(), confirm_unusual_dates=True
    )
    assert confirmed.status == LINKED


def test_the_decisions_divide_effective_time_into_periods() -> None:
    link = linked("2022-01-01")
    link.decide(UNLINKED, Evidence(), at("2022-07-01"), why("wrong"))
    periods = [(p.status, p.start, p.end) for p in link.periods()]
    assert periods == [
        (LINKED, at("2022-01-01"), at("2022-07-01")),
        (UNLINKED, at("2022-07-01"), None),
    ]
    assert link.periods()[0].ended_by is link.decisions[1]


def test_an_unlinking_at_the_linkings_own_time_says_they_never_were() -> None:
    link = linked("2022-01-01")
    link.decide(UNLINKED, Evidence(), at("2022-01-01"), why("never the same"))
    assert [p.status for p in link.periods()] == [UNLINKED]


def test_a_link_rebuilt_from_its_events_equals_the_one_decided() -> None:
    link = linked()
    link.decide(UNLINKED, Evidence(), at("2022-03-01"), why("wrong"))
    events = link.collect_events()
    rebuilt: Link | None = None
    for event in events:
        assert isinstance(event, Link.Event)
        rebuilt = event.mutate(rebuilt)
    assert isinstance(rebuilt, Link)
    assert (rebuilt.id, rebuilt.version, rebuilt.decisions) == (link.id, 2, link.decisions)
