"""How a subject reads at any effective time: profiles, terms and the segments views store."""

from __future__ import annotations

from domain.values import MeasureTerms, Name, Profile
from tests.unit.domain.builders import WHO, at, designate, soin


def test_a_profile_amendment_holds_from_its_effective_time_only() -> None:
    subject = soin()
    subject.amend_profile(
        profile=Profile((Name("SOIN, Dmitry"),)),
        references=None,
        effective_at=at("2022-06-01"),
        provenance=WHO,
    )
    assert subject.state.profile_at(at("2022-01-01")).primary_name == "SOIN, Dmitriy Yurevich"
    assert subject.state.profile_at(at("2022-06-01")).primary_name == "SOIN, Dmitry"
    assert subject.state.profile_at(at("2021-01-01")).primary_name == "SOIN, Dmitriy Yurevich"


def test_a_later_recording_wins_a_tie_of_effective_times() -> None:
    subject = soin()
    for name in ("FIRST", "SECOND"):
        subject.amend_profile(
            profile=Profile((Name(name),)),
            references=None,
            effective_at=at("2022-06-01"),
            provenance=WHO,
        )
    assert subject.state.profile_at(at("2022-06-02")).primary_name == "SECOND"


def test_an_amendment_changes_the_programs_from_its_date_on() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    subject.amend_measure(
        number=1,
        terms=MeasureTerms(("DPRK3", "GLOMAG")),
        effective_until=None,
        effective_at=at("2021-12-16"),
        provenance=WHO,
    )
    measure = subject.state.measures[1]
    assert measure.terms_at(at("2021-12-12")).programs == ("DPRK3",)
    assert measure.terms_at(at("2021-12-16")).programs == ("DPRK3", "GLOMAG")


def test_segments_split_a_measure_at_every_change_of_terms_or_name() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    subject.amend_measure(
        number=1,
        terms=MeasureTerms(("DPRK3", "GLOMAG")),
        effective_until=None,
        effective_at=at("2021-12-16"),
        provenance=WHO,
    )
    subject.amend_profile(
        profile=Profile((Name("SOIN, Dmitry"),)),
        references=None,
        effective_at=at("2022-01-01"),
        provenance=WHO,
    )
    subject.rescind(number=1, effective_at=at("2022-03-01"), provenance=WHO)
    spans = [
        (s.effective_from, s.effective_until, s.terms.programs, s.profile.primary_name)
        for s in subject.state.segments()
    ]
    assert spans == [
        (at("2021-12-10"), at("2021-12-16"), ("DPRK3",), "SOIN, Dmitriy Yurevich"),
        (at("2021-12-16"), at("2022-01-01"), ("DPRK3", "GLOMAG"), "SOIN, Dmitriy Yurevich"),
        (at("2022-01-01"), at("2022-03-01"), ("DPRK3", "GLOMAG"), "SOIN, Dmitry"),
    ]


def test_a_measure_rescinded_the_day_it_took_effect_has_no_segment() -> None:
    subject = soin()
    designate(subject, "2021-12-10")
    subject.rescind(number=1, effective_at=at("2021-12-10"), provenance=WHO)
    assert list(subject.state.segments()) == []
