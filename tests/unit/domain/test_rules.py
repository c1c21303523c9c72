"""The rules of domain.md, each refused with its own typed error and nothing recorded."""

from __future__ import annotations

import pytest

from domain.errors import (
    AmendmentRefused,
    EventNotFound,
    ImplausibleDate,
    InvalidValue,
    MeasureNotFound,
    MeasureOverlap,
    RescissionRefused,
    VoidingRefused,
)
from domain.provenance import Provenance
from domain.values import Actor, Authority, MeasureKind, MeasureTerms
from tests.unit.domain.builders import WHO, at, designate, soin


def refused_without_change(subject, error_type, command) -> None:  # type: ignore[no-untyped-def]
    version, pending = subject.version, len(subject.pending_events)
    state = subject.state
    with pytest.raises(error_type):
        command()
    assert (subject.version, len(subject.pending_events)) == (version, pending)
    assert subject.state == state


def test_the_same_measure_cannot_be_in_force_twice_over_one_period() -> None:
    subject = soin()
    first = designate(subject, "2021-12-10")
    with pytest.raises(MeasureOverlap) as refused:
        designate(subject, "2022-03-01", programs=("DPRK3", "GLOMAG"))
    assert refused.value.existing_measure_id == first.measure_id


def test_a_repeated_identical_recording_is_refused_not_doubled() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    refused_without_change(subject, MeasureOverlap, lambda: designate(subject, "2021-12-10"))
    assert len(subject.state.measures) == 1


def test_measures_that_differ_in_kind_authority_program_or_period_coexist() -> None:
    subject = soin()
    designate(subject, "2021-12-10", until="2022-01-01")
    designate(subject, "2022-01-01")
    designate(subject, "2021-12-10", authority=Authority.UK)
    designate(subject, "2021-12-10", programs=("GLOMAG",))
    designate(subject, "2021-12-10", kind=MeasureKind.VISA_BAN)
    assert len(subject.state.measures) == 5


def test_a_measure_cannot_be_rescinded_before_it_takes_effect() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    refused_without_change(
        subject,
        RescissionRefused,
        lambda: subject.rescind(number=1, effective_at=at("2021-12-09"), provenance=WHO),
    )


def test_a_measure_cannot_be_rescinded_twice() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    subject.rescind(number=1, effective_at=at("2022-01-05"), provenance=WHO)
    refused_without_change(
        subject,
        RescissionRefused,
        lambda: subject.rescind(number=1, effective_at=at("2022-02-01"), provenance=WHO),
    )


def test_a_measure_that_does_not_exist_cannot_be_rescinded() -> None:
    subject = soin()
    refused_without_change(
        subject,
        MeasureNotFound,
        lambda: subject.rescind(number=7, effective_at=at("2022-01-05"), provenance=WHO),
    )


def test_a_backdated_rescission_ends_the_measure_at_its_own_date() -> None:
    subject = soin()
    designate(subject, "2022-01-10")
    subject.rescind(number=1, effective_at=at("2022-01-12"), provenance=WHO)
    measure = subject.state.measures[1]
    assert measure.in_force(at("2022-01-11"))
    assert not measure.in_force(at("2022-01-12"))
    assert measure.status_at(at("2022-01-15")) == "rescinded"


def test_dates_before_1945_or_over_a_year_ahead_need_confirmation() -> None:
    subject = soin()
    refused_without_change(subject, ImplausibleDate, lambda: designate(subject, "1939-09-01"))
    refused_without_change(subject, ImplausibleDate, lambda: designate(subject, "2028-01-01"))
    subject.impose(
        kind=MeasureKind.DESIGNATION,
        authority=Authority.US_OFAC,
        terms=MeasureTerms(("DPRK3",)),
        effective_from=at("1939-09-01"),
        effective_until=None,
        provenance=WHO,
        confirm_unusual_dates=True,
    )
    assert subject.state.measures[1].effective_from == at("1939-09-01")


def test_kind_specific_terms_belong_to_their_kind() -> None:
    subject = soin()
    refused_without_change(
        subject,
        InvalidValue,
        lambda: subject.impose(
            kind=MeasureKind.DESIGNATION,
            authority=Authority.US_OFAC,
            terms=MeasureTerms(("DPRK3",), covers_family=True),
            effective_from=at("2022-01-01"),
            effective_until=None,
            provenance=WHO,
        ),
    )


def test_an_amendment_cannot_take_effect_after_the_measure_ended() -> None:
    subject = soin()
    designate(subject, "2021-12-10", until="2022-01-01")
    refused_without_change(
        subject,
        AmendmentRefused,
        lambda: subject.amend_measure(
            number=1,
            terms=MeasureTerms(("GLOMAG",)),
            effective_until=at("2022-01-01"),
            effective_at=at("2022-02-01"),
            provenance=WHO,
        ),
    )


def test_voiding_a_designation_means_it_never_was_and_frees_its_slot() -> None:
    subject = soin()
    imposed = designate(subject, "2021-12-10")
    subject.void(version=imposed.originator_version, provenance=_reasoned())
    assert subject.state.measures == {}
    second = designate(subject, "2021-12-10")
    assert second.measure_number == 2, "measure numbers are never reused"


def test_voiding_a_rescission_puts_the_measure_back_in_force() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    rescinded = subject.rescind(number=1, effective_at=at("2022-01-05"), provenance=WHO)
    subject.void(version=rescinded.originator_version, provenance=_reasoned())
    assert subject.state.measures[1].in_force(at("2023-01-01"))


def test_a_voiding_that_would_leave_two_measures_in_force_at_once_is_refused() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    rescinded = subject.rescind(number=1, effective_at=at("2022-01-05"), provenance=WHO)
    designate(subject, "2022-02-01")
    refused_without_change(
        subject,
        VoidingRefused,
        lambda: subject.void(version=rescinded.originator_version, provenance=_reasoned()),
    )


def test_registrations_voidings_and_unknown_events_cannot_be_voided() -> None:
    subject = soin()
    imposed = designate(subject, "2021-12-10")
    voiding = subject.void(version=imposed.originator_version, provenance=_reasoned())
    refused_without_change(
        subject, VoidingRefused, lambda: subject.void(version=1, provenance=_reasoned())
    )
    refused_without_change(
        subject,
        VoidingRefused,
        lambda: subject.void(version=voiding.originator_version, provenance=_reasoned()),
    )
    refused_without_change(
        subject,
        VoidingRefused,
        lambda: subject.void(version=imposed.originator_version, provenance=_reasoned()),
    )
    refused_without_change(
        subject, EventNotFound, lambda: subject.void(version=99, provenance=_reasoned())
    )


def test_a_voiding_needs_a_reason() -> None:
    subject = soin()
    imposed = designate(subject, "2021-12-10")
    refused_without_change(
        subject,
        InvalidValue,
        lambda: subject.void(version=imposed.originator_version, provenance=WHO),
    )


def _reasoned() -> Provenance:
    return Provenance(
        Actor("k1", "operator"), WHO.recorded_at, reason="recorded against the wrong person"
    )
