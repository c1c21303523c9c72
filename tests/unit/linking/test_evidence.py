"""Weighing two subjects of different authorities: each feature, its contribution, the score.

The numbers decide most: a passport number both sides give (written differently) makes a pair
whatever the spelling, and a passport of each with different numbers unmakes one whatever the
names and dates. Without numbers, names, birth dates, nationalities and kinds decide, each in
the direction it points, and every one of them is reported with what it added or took away.
"""

from __future__ import annotations

import pytest

from application.linking.evidence import (
    THRESHOLD,
    LinkProfile,
    best_names,
    compatible,
    weigh,
)


def person(
    subject_id: str,
    *names: str,
    authority: str = "US-OFAC",
    birth_dates: tuple[str, ...] = (),
    nationalities: tuple[str, ...] = (),
    identifiers: tuple[tuple[str, str], ...] = (),
    kind: str = "person",
) -> LinkProfile:
    typed = tuple((name, "primary" if i == 0 else "aka") for i, name in enumerate(names))
    return LinkProfile(
        subject_id, kind, (authority,), typed, birth_dates, nationalities, identifiers
    )


OFAC = person(
    "ofac",
    "SOIN, Dmitriy Yurevich",
    "SOYIN, Dmitriy Yuryevich",
    birth_dates=("1969-08-07",),
    nationalities=("RU",),
    identifiers=(("passport", "75 1234567"),),
)


def un(
    *names: str,
    birth_dates: tuple[str, ...] = (),
    nationalities: tuple[str, ...] = (),
    identifiers: tuple[tuple[str, str], ...] = (),
) -> LinkProfile:
    return person(
        "un",
        *names,
        authority="UN-SC",
        birth_dates=birth_dates,
        nationalities=nationalities,
        identifiers=identifiers,
    )


def test_the_same_name_date_and_nationality_make_a_pair_and_say_why() -> None:
    found = weigh(
        un("DMITRY YURIEVICH SOIN", birth_dates=("1969-08-07",), nationalities=("RU",)), OFAC
    )
    assert found.score >= THRESHOLD
    assert found.features["birth_date"] == 1.0
    assert found.features["nationality"] == 1.0
    assert "identifier" not in found.features, "one side gives no number: nothing compared"
    assert found.names == ("DMITRY YURIEVICH SOIN", "SOIN, Dmitriy Yurevich")
    assert sum(found.contributions.values()) == pytest.approx(found.score, abs=1e-3)


def test_a_shared_number_written_otherwise_is_strong_evidence() -> None:
    found = weigh(un("D. SOIN", identifiers=(("national_id", "751234567"),)), OFAC)
    assert found.features["identifier"] == 1.0
    assert found.shared_identifiers == ("751234567",)
    assert found.score >= 0.95, "the same number under another kind and a short name"


def test_a_conflicting_passport_is_strong_counter_evidence() -> None:
    namesake = un(
        "Dmitriy Yurevich SOIN",
        birth_dates=("1969-08-07",),
        nationalities=("RU",),
        identifiers=(("passport", "99 7654321"),),
    )
    found = weigh(namesake, OFAC)
    assert found.features["identifier"] == 0.0
    assert found.conflicting_identifiers == ("passport",)
    assert found.contributions["identifier"] < -0.5
    assert found.score < THRESHOLD, "a perfect name and date do not outweigh another passport"


def test_numbers_of_different_kinds_neither_confirm_nor_refute() -> None:
    found = weigh(un("Dmitriy Yurevich SOIN", identifiers=(("national_id", "111"),)), OFAC)
    assert "identifier" not in found.features
    assert found.conflicting_identifiers == ()


def test_birth_dates_rank_exact_over_year_over_conflicting() -> None:
    name = "Dmitri SOIN"
    exact = weigh(un(name, birth_dates=("1969-08-07",)), OFAC).score
    year = weigh(un(name, birth_dates=("1969",)), OFAC).score
    neither = weigh(un(name), OFAC).score
    other_month = weigh(un(name, birth_dates=("1969-02-01",)), OFAC).score
    other_year = weigh(un(name, birth_dates=("1971-08-07",)), OFAC).score
    assert exact > year > neither > other_month > other_year
    assert other_year < THRESHOLD, "namesakes born years apart are not suggested"


def test_nationalities_agree_or_disagree() -> None:
    name = "Dmitriy Yurevich SOIN"
    same = weigh(un(name, nationalities=("ru",)), OFAC)
    other = weigh(un(name, nationalities=("KP",)), OFAC)
    assert same.features["nationality"] == 1.0 and other.features["nationality"] == 0.0
    assert same.score > other.score


def test_kinds_persons_stay_apart_and_other_kinds_pay_for_differing() -> None:
    assert not compatible("person", "organization")
    assert compatible("organization", "vessel")
    ship = person("a", "OCEAN STAR", kind="vessel")
    firm = person("b", "OCEAN STAR", kind="organization", authority="UN-SC")
    same_kind = person("c", "OCEAN STAR", kind="vessel", authority="UN-SC")
    assert weigh(ship, firm).features["kind"] == 0.0
    assert weigh(ship, firm).score < weigh(ship, same_kind).score


def test_hiding_identifiers_leaves_names_and_dates() -> None:
    hidden = OFAC.hidden()
    assert hidden.identifiers == ()
    assert (hidden.names, hidden.birth_dates) == (OFAC.names, OFAC.birth_dates)


def test_the_best_pair_of_names_is_compared() -> None:
    found = best_names(un("KIM", "Dmitriy SOYIN"), OFAC)
    assert found is not None
    assert found[2] == "Dmitriy SOYIN"
