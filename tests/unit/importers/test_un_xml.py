"""The UN Security Council Consolidated List XML: entries, and files that must be refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.importers.records import (
    ListEntry,
    MalformedPublication,
    ParsedAddress,
    ParsedIdentifier,
    ParsedName,
)
from application.importers.un_xml import UnPublication, read_un_list
from tests.unit.importers.conftest import UN_DATES

GENERATED = 'dateGenerated="2018-06-07T19:03:43.97-04:00"'
INDIVIDUAL = """<INDIVIDUAL><DATAID>6908701</DATAID><VERSIONNUM>1</VERSIONNUM>
<FIRST_NAME>ABDULPATTA </FIRST_NAME><SECOND_NAME>ESCALON</SECOND_NAME>
<THIRD_NAME>ABUBAKAR</THIRD_NAME>
<UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE><REFERENCE_NUMBER>QDi.414 </REFERENCE_NUMBER>
<LISTED_ON>2018-06-18</LISTED_ON><GENDER>MALE</GENDER><NAME_ORIGINAL_SCRIPT>عبد</NAME_ORIGINAL_SCRIPT>
<COMMENTS1>Facilitator for ISIL.

</COMMENTS1><TITLE><VALUE>Haji</VALUE></TITLE>
<DESIGNATION><VALUE>Commander</VALUE><VALUE>Financier</VALUE></DESIGNATION>
<NATIONALITY><VALUE>Philippines</VALUE></NATIONALITY><LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE>
<LAST_DAY_UPDATED><VALUE>2014-11-20</VALUE><VALUE>2016-08-26</VALUE></LAST_DAY_UPDATED>
<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Abdul Patta Abu Bakar</ALIAS_NAME>
</INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Abu Patta</ALIAS_NAME>
<DATE_OF_BIRTH>1980-08-08</DATE_OF_BIRTH><NOTE>appears in a false passport</NOTE></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Old Name</ALIAS_NAME></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
<INDIVIDUAL_ADDRESS><COUNTRY>Philippines</COUNTRY></INDIVIDUAL_ADDRESS>
<INDIVIDUAL_ADDRESS><CITY>Jeddah</CITY><COUNTRY>Saudi Arabia</COUNTRY><NOTE>previous address</NOTE>
</INDIVIDUAL_ADDRESS>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><DATE>1965-03-03</DATE>
</INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>APPROXIMATELY</TYPE_OF_DATE><YEAR>1966</YEAR>
</INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><NOTE>Approximately</NOTE>
<FROM_YEAR>1955</FROM_YEAR><TO_YEAR>1958</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>EXACT</TYPE_OF_DATE><NOTE>Nov. 1973</NOTE>
</INDIVIDUAL_DATE_OF_BIRTH>
<INDIVIDUAL_PLACE_OF_BIRTH><CITY>Tuburan</CITY><STATE_PROVINCE>Basilan Province</STATE_PROVINCE>
<COUNTRY>Philippines</COUNTRY></INDIVIDUAL_PLACE_OF_BIRTH>
<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER> EC6530802</NUMBER>
<ISSUING_COUNTRY>Philippines</ISSUING_COUNTRY><NOTE>expires 19 Jan. 2021</NOTE>
</INDIVIDUAL_DOCUMENT>
<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Birth certificate</TYPE_OF_DOCUMENT><NUMBER>012546</NUMBER>
<COUNTRY_OF_ISSUE>Mali</COUNTRY_OF_ISSUE></INDIVIDUAL_DOCUMENT>
<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NOTE>Tunisian passport number
                L 191609</NOTE></INDIVIDUAL_DOCUMENT>
<INDIVIDUAL_DOCUMENT/><SORT_KEY/><SORT_KEY_LAST_MOD/></INDIVIDUAL>"""
ENTITY = """<ENTITY><DATAID>110409</DATAID><VERSIONNUM>1</VERSIONNUM>
<FIRST_NAME>ABU SAYYAF GROUP</FIRST_NAME><UN_LIST_TYPE>Al-Qaida</UN_LIST_TYPE>
<REFERENCE_NUMBER>QDe.001</REFERENCE_NUMBER><LISTED_ON>2001-10-06-04:00</LISTED_ON><COMMENTS1/>
<LIST_TYPE><VALUE>UN List</VALUE></LIST_TYPE><LAST_DAY_UPDATED><VALUE/></LAST_DAY_UPDATED>
<ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Al Harakat Al Islamiyya</ALIAS_NAME>
</ENTITY_ALIAS>
<ENTITY_ADDRESS><STREET>Road 1</STREET><CITY>Jolo</CITY><COUNTRY>Philippines</COUNTRY>
</ENTITY_ADDRESS>
<SORT_KEY/><SORT_KEY_LAST_MOD/></ENTITY>"""


def document(individuals: str = INDIVIDUAL, entities: str = ENTITY, root: str = GENERATED) -> bytes:
    """A consolidated list as the UN publishes it, with the given entries."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<CONSOLIDATED_LIST {root}>\n<INDIVIDUALS>\n{individuals}\n</INDIVIDUALS>\n"
        f"<ENTITIES>\n{entities}\n</ENTITIES>\n</CONSOLIDATED_LIST>"
    ).encode()


def entries_of(data: bytes) -> dict[str, ListEntry]:
    """All entries of a document by reference, consumed to the end as callers must."""
    return {entry.reference: entry for entry in read_un_list(io.BytesIO(data)).entries}


def test_date_generated_is_aware_utc() -> None:
    publication = read_un_list(io.BytesIO(document()))

    assert publication.date_generated == datetime(2018, 6, 7, 23, 3, 43, 970000, tzinfo=UTC)
    assert publication.date_generated.tzinfo is UTC


def test_an_individual_with_every_kind_of_fact() -> None:
    entry = entries_of(document())["QDi.414"]

    assert entry.subject_kind == "person"
    assert entry.names == (
        ParsedName("ABDULPATTA ESCALON ABUBAKAR", "primary"),
        ParsedName("عبد", "aka"),
        ParsedName("Abdul Patta Abu Bakar", "aka"),
        ParsedName("Abu Patta", "weak_aka"),
        ParsedName("Old Name", "fka"),
    )
    assert entry.programs == ("Al-Qaida",)
    assert entry.listed_on == "2018-06-18"
    assert entry.birth_dates == ("1965-03-03", "~1966", "~1955/1958")
    assert entry.birth_places == ("Tuburan, Basilan Province, Philippines",)
    assert entry.nationalities == ("Philippines",)
    assert entry.gender == "Male"
    assert entry.title == "Commander; Financier"
    assert entry.identifiers == (
        ParsedIdentifier("passport", "EC6530802", "Philippines", "expires 19 Jan. 2021"),
        ParsedIdentifier("other", "012546", "Mali", "Birth certificate"),
    )
    assert entry.addresses == (
        ParsedAddress("", "Philippines"),
        ParsedAddress("Jeddah; previous address", "Saudi Arabia"),
    )
    assert entry.details == (
        ("dataid", "6908701"),
        ("versionnum", "1"),
        ("list_type", "UN List"),
        ("last_day_updated", "2014-11-20"),
        ("last_day_updated", "2016-08-26"),
        ("title", "Haji"),
    )
    assert entry.remarks == (
        "Facilitator for ISIL.; Abu Patta: date of birth 1980-08-08, appears in a false passport; "
        "date of birth Nov. 1973; Passport: Tunisian passport number L 191609"
    )
    assert entry.line == 3


def test_a_date_of_birth_that_cannot_be_read_is_kept_in_the_remarks() -> None:
    data = (
        document()
        .replace(b"<DATE>1965-03-03</DATE>", b"<DATE>1965-02-30</DATE>")
        .replace(b"APPROXIMATELY</TYPE_OF_DATE><YEAR>", b"BEFORE</TYPE_OF_DATE><YEAR>")
    )

    entry = entries_of(data)["QDi.414"]

    assert entry.birth_dates == ("~1955/1958",)
    assert "; date of birth EXACT 1965-02-30; date of birth BEFORE 1966; " in (entry.remarks or "")


def test_an_entity() -> None:
    entry = entries_of(document())["QDe.001"]

    assert entry.subject_kind == "organization"
    assert entry.names == (
        ParsedName("ABU SAYYAF GROUP", "primary"),
        ParsedName("Al Harakat Al Islamiyya", "aka"),
    )
    assert entry.listed_on == "2001-10-06"
    assert entry.addresses == (ParsedAddress("Road 1, Jolo", "Philippines"),)
    assert (entry.remarks, entry.birth_dates, entry.gender) == (None, (), None)


def test_entries_are_streamed_not_read_all_at_once() -> None:
    many = "\n".join(INDIVIDUAL.replace("QDi.414", f"QDi.{number}") for number in range(2000))
    stream = io.BytesIO(document(individuals=many))

    publication = read_un_list(stream)
    first = next(publication.entries)

    assert first.reference == "QDi.0"
    assert stream.tell() < len(stream.getvalue()) / 10


def line_of(data: bytes, marker: bytes, occurrence: int = 1) -> int:
    """The line of the ``occurrence``-th ``marker`` in ``data``."""
    position = -1
    for _ in range(occurrence):
        position = data.index(marker, position + 1)
    return data.count(b"\n", 0, position) + 1


CUT = document()[:-300]
CUT_AFTER_ENTRY = document().split(b"</INDIVIDUAL>")[0] + b"</INDIVIDUAL>\n"
ENTITY_AS_INDIVIDUAL = document(entities=INDIVIDUAL)
TWICE = document(entities=ENTITY + ENTITY)
NAMELESS = document().replace(b"ABU SAYYAF GROUP", b"")
GARBLED = document().replace(b"<NATIONALITY>", b"< NATIONALITY>")


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (CUT, CUT.count(b"\n") + 1, "invalid XML"),
        (CUT_AFTER_ENTRY, CUT_AFTER_ENTRY.count(b"\n") + 1, "Premature end of data"),
        (GARBLED, line_of(GARBLED, b"< NATIONALITY>"), "invalid element name"),
        (b"", 1, "the file is empty"),
        (document(root=""), 1, "dateGenerated is missing"),
        (document(root='dateGenerated="2018-06-07T19:03:43"'), 1, "has no time zone"),
        (document(root='dateGenerated="June"'), 1, "not an ISO 8601 date"),
        (document().replace(b"CONSOLIDATED_LIST", b"LIST"), 1, "root element is not"),
        (document(individuals="", entities=""), 1, "the list has no entries"),
        (
            ENTITY_AS_INDIVIDUAL,
            line_of(ENTITY_AS_INDIVIDUAL, b"<INDIVIDUAL>", 2),
            "INDIVIDUAL outside INDIVIDUALS",
        ),
        (
            TWICE,
            line_of(TWICE, b"<ENTITY>", 2),
            f"QDe.001 was already given on line {line_of(TWICE, b'<ENTITY>')}",
        ),
        (document().replace(b"QDi.414 ", b" "), 3, "REFERENCE_NUMBER is missing"),
        (NAMELESS, line_of(NAMELESS, b"<ENTITY>"), "QDe.001 has no name"),
        (document().replace(b"2018-06-18", b"2018-02-30"), 3, "QDi.414 has no valid LISTED_ON"),
    ],
)
def test_a_malformed_list_is_refused_naming_the_line(data: bytes, line: int, message: str) -> None:
    with pytest.raises(MalformedPublication) as refused:
        entries_of(data)

    assert refused.value.line == line
    assert message in refused.value.message


def test_entries_before_the_fault_are_yielded_so_callers_must_consume_all() -> None:
    entries = read_un_list(io.BytesIO(document()[:-300])).entries

    assert next(entries).reference == "QDi.414"
    with pytest.raises(MalformedPublication):
        next(entries)


# Real published copies (skipped when the shared data folder is absent).


def read(path: Path) -> tuple[UnPublication, list[ListEntry]]:
    with path.open("rb") as stream:
        publication = read_un_list(stream, source=path.name)
        return publication, list(publication.entries)


def test_the_four_real_lists_parse_whole(un_lists: list[Path]) -> None:
    parsed = [read(path) for path in un_lists]

    assert [publication.date_generated.date().isoformat() for publication, _ in parsed] == list(
        UN_DATES
    )
    assert [len(entries) for _, entries in parsed] == [1098, 1100, 1098, 1093]
    for _, entries in parsed:
        assert all(entry.listed_on and len(entry.listed_on) == 10 for entry in entries)
        assert all("." in entry.reference for entry in entries)


def test_a_real_entry(un_lists: list[Path]) -> None:
    _, entries = read(un_lists[-1])
    entry = next(entry for entry in entries if entry.reference == "QDi.414")

    assert entry.names[0] == ParsedName("ABDULPATTA ESCALON ABUBAKAR", "primary")
    assert entry.programs == ("Al-Qaida",)
    assert entry.listed_on == "2018-06-18"
    assert entry.birth_dates == ("1965-03-03", "1965-01-01", "1965-01-11")
    assert ("dataid", "6908701") in entry.details


def test_listings_and_delistings_show_between_copies(un_lists: list[Path]) -> None:
    first = {entry.reference: entry for entry in read(un_lists[0])[1]}
    second = {entry.reference: entry for entry in read(un_lists[1])[1]}

    listed = second.keys() - first.keys()

    assert listed
    assert all((second[reference].listed_on or "") >= "2018-06-07" for reference in listed)


def test_a_truncated_real_list_is_refused_with_its_last_line(un_lists: list[Path]) -> None:
    data = un_lists[0].read_bytes()
    cut = data[: len(data) // 2]

    with pytest.raises(MalformedPublication) as refused:
        list(read_un_list(io.BytesIO(cut), source="cut.xml").entries)

    assert refused.value.line == cut.count(b"\n") + 1
    assert str(refused.value).startswith(f"cut.xml, line {refused.value.line}: invalid XML")
