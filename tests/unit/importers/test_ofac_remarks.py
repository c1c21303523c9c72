"""The OFAC ``Remarks`` free text: each clause becomes a field or stays, verbatim, in ``rest``."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.importers.ofac_remarks import RemarksFacts, birth_date_iso, parse_remarks
from application.importers.records import ParsedIdentifier, ParsedName


def test_a_typical_remarks_text_leaves_nothing_behind() -> None:
    facts = parse_remarks(
        "DOB 07 Aug 1969; nationality Russia; Gender Male; Secondary sanctions risk: North Korea"
        " Sanctions Regulations, sections 510.201 and 510.210; Linked To: EUROPEAN INSTITUTE JUSTO."
    )

    assert facts.birth_dates == ("1969-08-07",)
    assert facts.nationalities == ("Russia",)
    assert facts.gender == "Male"
    assert facts.links == ("EUROPEAN INSTITUTE JUSTO",)
    assert facts.details == (
        (
            "secondary_sanctions_risk",
            "North Korea Sanctions Regulations, sections 510.201 and 510.210",
        ),
    )
    assert facts.rest is None


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("07 Aug 1969", "1969-08-07"),
        ("Aug 1953", "1953-08"),
        ("1961", "1961"),
        ("circa 1960", "~1960"),
        ("circa 01 Jan 1961", "~1961-01-01"),
        ("01 Jan 1955 to 31 Dec 1955", "1955-01-01/1955-12-31"),
        ("Mar 1980 to Mar 1981", "1980-03/1981-03"),
        ("1962 to 1963", "1962/1963"),
        ("circa 1979-1982", "~1979/1982"),
    ],
)
def test_dates_of_birth_become_partial_iso_dates(written: str, iso: str) -> None:
    assert birth_date_iso(written) == iso
    assert parse_remarks(f"DOB {written}.").birth_dates == (iso,)


@pytest.mark.parametrize("written", ["31 Feb 1970", "07 Foo 1969", "circa circa 1960", "soon"])
def test_a_date_of_birth_that_is_no_date_stays_in_rest(written: str) -> None:
    facts = parse_remarks(f"DOB {written}.")

    assert facts.birth_dates == ()
    assert facts.rest == f"DOB {written}"


def test_alt_clauses_add_values_of_the_same_kind() -> None:
    facts = parse_remarks("DOB 1960; alt. DOB 1961; POB Gopalganj, Bangladesh; alt. POB Dhaka.")

    assert facts.birth_dates == ("1960", "1961")
    assert facts.birth_places == ("Gopalganj, Bangladesh", "Dhaka")


def test_nationality_and_citizenship_are_kept_apart() -> None:
    facts = parse_remarks("nationality Korea, North; alt. nationality Russia; citizen Burma.")

    assert facts.nationalities == ("Korea, North", "Russia")
    assert facts.citizenships == ("Burma",)


def test_a_nationality_that_is_not_a_country_stays_in_rest() -> None:
    facts = parse_remarks("nationality possibly Palestinian; nationality Jordan.")

    assert facts.nationalities == ("Jordan",)
    assert facts.rest == "nationality possibly Palestinian"


def test_remarks_aliases_are_weak_and_former_names_keep_their_role() -> None:
    facts = parse_remarks(
        "a.k.a. 'KA PA SA'; f.k.a. 'SAND SWAN'; n.k.a. 'NEW NAME'; a.k.a. 'GAMA'A'."
    )

    assert facts.aliases == (
        ParsedName(value="KA PA SA", type="weak_aka"),
        ParsedName(value="SAND SWAN", type="fka"),
        ParsedName(value="NEW NAME", type="nka"),
        ParsedName(value="GAMA'A", type="weak_aka"),
    )


@pytest.mark.parametrize(
    ("clause", "identifier"),
    [
        (
            "Passport B00002095 (Bangladesh) issued 04 Mar 2020 expires 03 Mar 2030",
            ParsedIdentifier(
                "passport", "B00002095", "Bangladesh", "issued 04 Mar 2020 expires 03 Mar 2030"
            ),
        ),
        (
            "National ID No. 5051953882 (Bangladesh)",
            ParsedIdentifier("national_id", "5051953882", "Bangladesh", None),
        ),
        (
            "Tax ID No. 7706101758 (Russia)",
            ParsedIdentifier("tax_id", "7706101758", "Russia", None),
        ),
        (
            "Registration Number 1027739267819 (Russia)",
            ParsedIdentifier("registration_number", "1027739267819", "Russia", None),
        ),
        (
            "Unified Social Credit Code (USCC) 913101040936933514 (China)",
            ParsedIdentifier(
                "registration_number",
                "913101040936933514",
                "China",
                "Unified Social Credit Code (USCC)",
            ),
        ),
        ("IMO 9187629", ParsedIdentifier("imo", "9187629", None, None)),
        (
            "Vessel Registration Identification IMO 8987266",
            ParsedIdentifier("imo", "8987266", None, None),
        ),
        ("SWIFT/BIC HAVIGB2L", ParsedIdentifier("swift_bic", "HAVIGB2L", None, None)),
        (
            "Website www.havanaintbank.co.uk",
            ParsedIdentifier("website", "www.havanaintbank.co.uk", None, None),
        ),
        ("Email Address a@b.example", ParsedIdentifier("email", "a@b.example", None, None)),
        (
            "Cedula No. 6068015 (Colombia)",
            ParsedIdentifier("national_id", "6068015", "Colombia", "Cedula No."),
        ),
        (
            "Diplomatic Passport E0022392 (Nicaragua) issued 12 Apr 2012 expires 12 Apr 2022",
            ParsedIdentifier(
                "passport",
                "E0022392",
                "Nicaragua",
                "Diplomatic Passport; issued 12 Apr 2012 expires 12 Apr 2022",
            ),
        ),
        (
            "Folio Mercantil No. 42946 (Jalisco) (Mexico)",
            ParsedIdentifier(
                "registration_number", "42946 (Jalisco)", "Mexico", "Folio Mercantil No."
            ),
        ),
        (
            "Digital Currency Address - XBT 1DJoEMvp95yJYWyxAZy8DDBzuvjnrTVrsN",
            ParsedIdentifier(
                "digital_currency_address",
                "1DJoEMvp95yJYWyxAZy8DDBzuvjnrTVrsN",
                None,
                "Digital Currency Address - XBT",
            ),
        ),
        (
            "Identification Number 32983326 (Lebanon)",
            ParsedIdentifier("other", "32983326", "Lebanon", "Identification Number"),
        ),
    ],
)
def test_identifier_clauses(clause: str, identifier: ParsedIdentifier) -> None:
    facts = parse_remarks(f"alt. {clause}.")

    assert facts.identifiers == (identifier,)
    assert facts.rest is None


@pytest.mark.parametrize(
    ("clause", "detail"),
    [
        ("Target Type Government Entity", ("target_type", "Government Entity")),
        (
            "Organization Established Date 18 Mar 1997",
            ("organization_established_date", "1997-03-18"),
        ),
        (
            "Organization Type: Real estate activities",
            ("organization_type", "Real estate activities"),
        ),
        (
            "Additional Sanctions Information - Subject to Secondary Sanctions",
            ("additional_sanctions_information", "Subject to Secondary Sanctions"),
        ),
        ("Aircraft Model An-124", ("aircraft_model", "An-124")),
    ],
)
def test_other_structured_clauses_become_details(clause: str, detail: tuple[str, str]) -> None:
    assert parse_remarks(f"{clause}.").details == (detail,)


def test_the_final_dot_belongs_to_no_value() -> None:
    facts = parse_remarks("Linked To: CIMEX; Linked To: AVA PETROLEUM SERVICES S.A.")

    assert facts.links == ("CIMEX", "AVA PETROLEUM SERVICES S.A")


def test_a_text_cut_at_the_column_limit_keeps_its_last_clause_unparsed() -> None:
    facts = parse_remarks("DOB 1961; Linked To: FEDERAL SE")

    assert facts.birth_dates == ("1961",)
    assert facts.links == ()
    assert facts.rest == "Linked To: FEDERAL SE"


def test_semicolons_inside_parentheses_do_not_split_a_clause() -> None:
    facts = parse_remarks(
        "DOB 1969; (Following data: Alt. DOB: 10 October 1969; nationality: Eritrean)."
    )

    assert facts.birth_dates == ("1969",)
    assert facts.rest == "(Following data: Alt. DOB: 10 October 1969; nationality: Eritrean)"


def test_unbalanced_parentheses_fall_back_to_splitting_at_every_semicolon() -> None:
    facts = parse_remarks("(open note; DOB 1961.")

    assert facts.birth_dates == ("1961",)
    assert facts.rest == "(open note"


@pytest.mark.parametrize("text", ["", "-0-", "-0- ", "."])
def test_empty_remarks_give_no_facts(text: str) -> None:
    assert parse_remarks(text) == RemarksFacts()


def test_the_title_repeated_as_a_clause_is_recognised() -> None:
    facts = parse_remarks("DOB 1948; Director of PLF; Colonel.", title="Director of PLF")

    assert facts.title == "Director of PLF"
    assert facts.rest == "Colonel"


def test_a_second_gender_stays_in_rest_instead_of_overwriting_the_first() -> None:
    facts = parse_remarks("Gender Male; Gender Female.")

    assert facts.gender == "Male"
    assert facts.rest == "Gender Female"


# Clauses that parse, each with the value that must then appear among the facts.
_COUNTRY = st.sampled_from(["Russia", "Korea, North", "Iran", "Bangladesh"])
_WORD = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)
_NUMBER = st.text(alphabet="0123456789ABC", min_size=1, max_size=12)
_DAYS = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
_PARSEABLE = st.one_of(
    _DAYS.map(lambda day: (f"DOB {day:%d %b %Y}", day.isoformat())),
    st.integers(1900, 2020).map(lambda year: (f"alt. DOB circa {year}", f"~{year}")),
    _WORD.map(lambda place: (f"POB {place}", place)),
    _COUNTRY.map(lambda country: (f"nationality {country}", country)),
    _COUNTRY.map(lambda country: (f"citizen {country}", country)),
    _WORD.map(lambda name: (f"a.k.a. '{name}'", name)),
    _WORD.map(lambda name: (f"Linked To: {name} LTD", f"{name} LTD")),
    st.tuples(_NUMBER, _COUNTRY).map(lambda pair: (f"Passport {pair[0]} ({pair[1]})", pair[0])),
    _NUMBER.map(lambda number: (f"Tax ID No. {number}", number)),
    _WORD.map(lambda kind: (f"Target Type {kind}", kind)),
)
# Free text: any clause without ";", parentheses or control characters. It may happen to
# look like a known clause, so the value to find is left open (None).
_FREE = st.text(
    alphabet=st.characters(codec="latin-1", exclude_characters=";()", exclude_categories=["Cc"]),
    min_size=1,
    max_size=30,
)
_FREE_CLAUSE = (
    _FREE.map(str.strip).filter(lambda text: text.strip(".")).map(lambda text: (text, None))
)


def _found(facts: RemarksFacts) -> list[str]:
    """Every value the facts hold, as text, to look the input clauses up in."""
    return [
        *(name.value for name in facts.aliases),
        *facts.birth_dates,
        *facts.birth_places,
        *facts.nationalities,
        *facts.citizenships,
        *(identifier.value for identifier in facts.identifiers),
        *facts.links,
        *(value for _, value in facts.details),
    ]


def _clause_count(facts: RemarksFacts) -> int:
    """How many clauses the facts account for: one per value, one per clause left in rest."""
    singles = (facts.gender is not None) + (facts.title is not None)
    rest = facts.rest.split("; ") if facts.rest else []
    return len(_found(facts)) + singles + len(rest)


@given(st.lists(st.one_of(_PARSEABLE, _FREE_CLAUSE), min_size=1, max_size=12))
def test_no_clause_is_ever_lost(clauses: list[tuple[str, str | None]]) -> None:
    facts = parse_remarks("; ".join(clause for clause, _ in clauses) + ".")

    rest = facts.rest.split("; ") if facts.rest else []
    for clause, value in clauses:
        if value is not None:
            assert value in _found(facts)
        else:
            assert clause in rest or parse_remarks(f"{clause}.").rest is None
    assert _clause_count(facts) == len(clauses)
