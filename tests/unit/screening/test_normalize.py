"""Names as the scorer and the index see them: one spelling for the many a name is written in."""

from __future__ import annotations

import pytest

from application.screening.normalize import (
    country_key,
    fold_token,
    identifier_key,
    name_tokens,
    token_keys,
)


def as_set(name: str, kind: str | None = None) -> set[str]:
    return set(name_tokens(name, kind))


def test_case_punctuation_and_order_leave_the_same_tokens() -> None:
    assert as_set("SOIN, Dmitriy Yurevich") == as_set("Dmitriy Yurevich Soin")
    assert name_tokens("Jean-Paul  O'NEILL") == ("jean", "paul", "oneil")


def test_tokens_keep_the_order_written() -> None:
    assert name_tokens("Soin Dmitry") == ("soin", "dmitri")
    assert name_tokens("Dmitry Soin") == ("dmitri", "soin")


def test_cyrillic_becomes_the_latin_spelling() -> None:
    assert name_tokens("СОИН Дмитрий Юрьевич", "person") == ("soin", "dmitri", "iurevich")
    assert as_set("Евгений Пригожин") == as_set("Yevgeny Prigozhin")
    assert as_set("Алексей Навальный") == as_set("Alexey Navalny")


def test_diacritics_go() -> None:
    assert name_tokens("Jörg Müller-Lüdenscheidt") == name_tokens("Jorg Muller-Ludenscheidt")


@pytest.mark.parametrize(
    "variants",
    [
        ("Dmitry", "Dmitriy", "Dmitrii", "Dmitrij"),
        ("Yurevich", "Yuryevich", "Iurevich"),
        ("Soin", "Soyin"),
        ("Sergey", "Sergei"),
        ("Mariya", "Maria", "Marija"),
        ("Smirnov", "Smirnoff", "Smirnow"),
        ("Mikhail", "Mihail"),
        ("Hassan", "Hasan"),
    ],
)
def test_romanisation_variants_fold_to_one_token(variants: tuple[str, ...]) -> None:
    folded = {fold_token(v.lower()) for v in variants}
    assert len(folded) == 1, folded


def test_different_names_stay_different() -> None:
    assert fold_token("ivan") != fold_token("ivana")
    assert fold_token("soin") != fold_token("sokin")


def test_tokens_with_digits_are_not_folded() -> None:
    assert fold_token("yy11") == "yy11"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Mr. John Smith", ("john", "smith")),
        ("Dr John Smith", ("john", "smith")),
        ("General Ivan Petrov", ("ivan", "petrov")),
        ("Sheikh Ahmed Hassan", ("ahmed", "hasan")),
        ("Gen. Ivan Petrov", ("ivan", "petrov")),
    ],
)
def test_honorifics_are_dropped_from_person_names(name: str, expected: tuple[str, ...]) -> None:
    assert name_tokens(name, "person") == expected
    assert name_tokens(name) == expected


def test_a_title_alone_is_kept_rather_than_nothing() -> None:
    assert name_tokens("Mr", "person") == ("mr",)


def test_organization_names_keep_honorific_like_words() -> None:
    assert name_tokens("General Electric", "organization") == ("general", "electric")


@pytest.mark.parametrize(
    "name",
    [
        "ROSNEFT OOO",
        "OOO Rosneft",
        "ООО «Роснефть»",  # noqa: RUF001 - Cyrillic on purpose
        "Rosneft LLC",
        "Rosneft Limited",
        "Rosneft",
    ],
)
def test_legal_forms_are_dropped_from_organization_names(name: str) -> None:
    assert name_tokens(name, "organization") == ("rosneft",)
    assert name_tokens(name) == ("rosneft",)


@pytest.mark.parametrize("name", ["Siemens GmbH", "Siemens AG", "SIEMENS JSC"])
def test_other_legal_forms(name: str) -> None:
    assert name_tokens(name, "organization") == ("siemens",)


def test_a_legal_form_alone_is_kept_rather_than_nothing() -> None:
    assert name_tokens("OOO", "organization") == (fold_token("ooo"),)


def test_vessel_prefixes_are_dropped() -> None:
    assert name_tokens("M/V OCEAN STAR 1", "vessel") == ("ocean", "star", "1")


def test_person_names_keep_words_that_are_legal_forms_elsewhere() -> None:
    assert name_tokens("Ali Ag Ghali", "person") == ("ali", "ag", "ghali")


def test_token_keys_are_the_token_and_its_sound() -> None:
    keys = token_keys("soin")
    assert keys[0] == "soin"
    assert len(keys) == 2
    assert keys[1].isupper()


def test_spellings_that_fold_apart_still_share_a_sound_key() -> None:
    assert set(token_keys(fold_token("mohammed"))) & set(token_keys(fold_token("muhammad")))
    assert set(token_keys("smith")) & set(token_keys("smyth"))


def test_a_number_has_just_itself_as_key() -> None:
    assert token_keys("1") == ("1",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("AB 123-456", "AB123456"), ("ab.123.456", "AB123456"), ("IMO 9123456", "IMO9123456")],
)
def test_identifier_key_keeps_letters_and_digits(value: str, expected: str) -> None:
    assert identifier_key(value) == expected


def test_country_key_merges_names_and_codes() -> None:
    assert country_key("Russia") == country_key("RU") == country_key("Russian Federation")
    assert country_key("Russia") != country_key("Ukraine")
    assert country_key("Atlantis ") == "atlantis"
