"""UN XML that would import something else than it says is refused whole, naming the line.

A DOCTYPE (its entities would vanish from the text unexpanded), XInclude, comments and
processing instructions inside an entry (the text after them would be lost), an encoding other
than UTF-8, characters that are not text, and a ``dateGenerated`` outside the calendar.
"""

from __future__ import annotations

import io

import pytest

from application.importers.records import ListEntry, MalformedPublication
from application.importers.un_xml import read_un_list
from tests.unit.importers.test_un_xml import GENERATED, document

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
RI_WON_HO = b"<FIRST_NAME>ABDULPATTA </FIRST_NAME>"  # line 4 of ``document()``, first entry


def with_prolog(prolog: bytes, data: bytes | None = None) -> bytes:
    """``document()`` with ``prolog`` on its own line 2: the root then starts on line 3."""
    return (data or document()).replace(DECLARATION, DECLARATION + b"\n" + prolog + b"\n", 1)


def named(name: str) -> bytes:
    """``document()`` whose first entry's first name is ``name`` (raw XML), on line 4."""
    return document().replace(RI_WON_HO, f"<FIRST_NAME>{name}</FIRST_NAME>".encode())


def refusal(data: bytes) -> MalformedPublication:
    """The refusal of ``data``, which must come however the entries are consumed."""
    with pytest.raises(MalformedPublication) as refused:
        list(read_un_list(io.BytesIO(data), source="un.xml").entries)
    return refused.value


def entries_of(data: bytes) -> dict[str, ListEntry]:
    return {entry.reference: entry for entry in read_un_list(io.BytesIO(data)).entries}


ENTITY_RI = b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY ri "RI">]>'
DTD_REFUSED = "a DOCTYPE precedes the root element; DTDs and entities are refused"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(with_prolog(ENTITY_RI, named("&ri; WON HO")), DTD_REFUSED, id="entity-text"),
        pytest.param(
            with_prolog(
                b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY d "2018-06-07T19:03:43-04:00">]>',
                document(root='dateGenerated="&d;"'),
            ),
            DTD_REFUSED,
            id="entity-attribute",
        ),
        pytest.param(with_prolog(ENTITY_RI), DTD_REFUSED, id="entity-unused"),
        pytest.param(with_prolog(b"<!DOCTYPE CONSOLIDATED_LIST>"), DTD_REFUSED, id="bare"),
        pytest.param(
            with_prolog(
                b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
                named("&x;"),
            ),
            DTD_REFUSED,
            id="external-entity",
        ),
        pytest.param(
            with_prolog(
                b'<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>'
            ),
            DTD_REFUSED,
            id="parameter-entity",
        ),
        pytest.param(
            with_prolog(b'<!DOCTYPE CONSOLIDATED_LIST SYSTEM "/nowhere/sc.dtd">', named("&ri;")),
            "a DOCTYPE with the external DTD '/nowhere/sc.dtd' precedes the root element",
            id="system",
        ),
        pytest.param(
            with_prolog(b'<!DOCTYPE CONSOLIDATED_LIST PUBLIC "-//UN//SC//EN" "sc.dtd">'),
            "a DOCTYPE with the external DTD 'sc.dtd' precedes",
            id="public",
        ),
    ],
)
def test_a_doctype_is_refused_before_any_entry(data: bytes, message: str) -> None:
    publication_refused = refusal(data)

    assert publication_refused.line == 3  # the root's: lxml does not say where the DOCTYPE is
    assert message in publication_refused.message


def test_the_hostile_testers_list_is_refused_not_read_as_won_ho() -> None:
    data = with_prolog(ENTITY_RI, named("&ri; WON HO"))

    with pytest.raises(MalformedPublication) as refused:
        read_un_list(io.BytesIO(data), source="un.xml")  # before any entry is read

    assert str(refused.value) == (
        "un.xml, line 3: a DOCTYPE precedes the root element; DTDs and entities are refused"
    )


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(named("&ri; WON HO"), id="text"),
        pytest.param(document(root=GENERATED + ' note="&ri;"'), id="attribute"),
    ],
)
def test_an_undeclared_entity_is_refused_naming_it(data: bytes) -> None:
    line = 4 if b"&ri; WON" in data else 1

    publication_refused = refusal(data)

    assert (publication_refused.line, publication_refused.message) == (
        line,
        "invalid XML: Entity 'ri' not defined",
    )


@pytest.mark.parametrize("namespace", ["2001", "2003"])
def test_an_xinclude_is_refused(namespace: str) -> None:
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/{namespace}/XInclude" href="/etc/hostname"'
        ' parse="text"/>'
    )
    data = document().replace(b"<INDIVIDUALS>", b"<INDIVIDUALS>" + include.encode())

    publication_refused = refusal(data)

    assert (publication_refused.line, publication_refused.message) == (
        2,
        "the XInclude element include is refused",
    )


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("RI<!-- the rest: --> WON HO", "a comment"),
        ("RI<?pi the rest:?> WON HO", "a processing instruction"),
    ],
)
def test_a_comment_or_instruction_that_would_cut_a_name_short_is_refused(
    name: str, kind: str
) -> None:
    publication_refused = refusal(named(name))

    assert (publication_refused.line, publication_refused.message) == (
        4,
        f"{kind} inside FIRST_NAME; entries may hold only elements and text",
    )


def test_comments_and_instructions_outside_the_entries_are_harmless() -> None:
    stylesheet = b'<?xml-stylesheet type="text/xsl" href="list.xsl"?><!-- generated -->'
    data = with_prolog(stylesheet).replace(b"</INDIVIDUALS>", b"<!-- end --><?x?></INDIVIDUALS>")

    assert entries_of(data).keys() == entries_of(document()).keys()


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        pytest.param(
            document().replace(b"UTF-8", b"ISO-8859-1"),
            1,
            "the file is declared in ISO-8859-1; the UN list is published in UTF-8",
            id="declared-latin-1",
        ),
        pytest.param(
            document().decode().replace("UTF-8", "UTF-16").encode("utf-16"),
            1,
            "the file is declared in UTF-16; the UN list is published in UTF-8",
            id="utf-16",
        ),
        pytest.param(
            document().replace(b"ESCALON", b"ESC\xc1LON"),
            4,
            "invalid XML: Invalid bytes in character encoding",
            id="not-utf-8",
        ),
        pytest.param(
            document().replace(b"UTF-8", b"KLINGON"),
            1,
            "invalid XML: Unsupported encoding: KLINGON",
            id="unknown-encoding",
        ),
        pytest.param(b"", 1, "the file is empty", id="empty"),
        pytest.param(
            bytes(range(256)) * 4, 1, "invalid XML: Start tag expected, '<' not found", id="random"
        ),
    ],
)
def test_a_file_that_is_not_utf_8_xml_is_refused(data: bytes, line: int, message: str) -> None:
    publication_refused = refusal(data)

    assert (publication_refused.line, publication_refused.message) == (line, message)


@pytest.mark.parametrize(
    ("text", "line", "character"),
    [
        pytest.param("ESC\u0085ALON", 4, "control character U+0085", id="next-line"),
        pytest.param("ESC&#x9B;ALON", 4, "control character U+009B", id="reference-csi"),
        pytest.param("\u007fESCALON", 4, "control character U+007F", id="delete"),
        pytest.param("ESCALON\ufdd0", 4, "non-character U+FDD0", id="fdd0"),
        pytest.param("ESCALON&#x1FFFE;", 4, "non-character U+1FFFE", id="plane-1-end"),
        pytest.param("ESCALON\U0010ffff", 4, "non-character U+10FFFF", id="last-code-point"),
    ],
)
def test_text_with_a_character_that_is_not_text_is_refused_with_its_line(
    text: str, line: int, character: str
) -> None:
    data = document().replace(b"ESCALON", text.encode())

    publication_refused = refusal(data)

    assert (publication_refused.line, publication_refused.message) == (
        line,
        f"SECOND_NAME holds the {character}; it is not text",
    )


def test_the_line_of_a_forbidden_character_in_a_wrapped_text_is_its_own() -> None:
    data = document().replace(b"Facilitator for ISIL.", "Facilitator\n\nfor\u0080 ISIL.".encode())
    comments_line = data[: data.index(b"<COMMENTS1>")].count(b"\n") + 1

    publication_refused = refusal(data)

    assert publication_refused.line == comments_line + 2
    assert publication_refused.message.startswith("COMMENTS1 holds the control character U+0080")


def test_a_character_that_is_not_text_between_elements_is_refused_too() -> None:
    data = document().replace(b"</SECOND_NAME>", "</SECOND_NAME>\u009c".encode())

    publication_refused = refusal(data)

    assert publication_refused.message == (
        "the text after SECOND_NAME holds the control character U+009C; it is not text"
    )


def test_a_control_character_reference_is_not_well_formed() -> None:
    publication_refused = refusal(named("RI&#1; WON HO"))

    assert publication_refused.line == 4
    assert publication_refused.message.startswith("invalid XML: xmlParseCharRef")


@pytest.mark.parametrize("generated", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_date_generated_outside_the_calendar_in_utc_is_refused(generated: str) -> None:
    with pytest.raises(MalformedPublication) as refused:
        read_un_list(io.BytesIO(document(root=f'dateGenerated="{generated}"')))

    assert (refused.value.line, refused.value.message) == (
        1,
        f"dateGenerated {generated!r} lies outside the calendar in UTC",
    )


@pytest.mark.parametrize("generated", ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00Z"])
def test_a_date_generated_at_the_calendars_edge_in_utc_is_read(generated: str) -> None:
    publication = read_un_list(io.BytesIO(document(root=f'dateGenerated="{generated}"')))

    assert publication.date_generated.year in (1, 9999)


def test_a_birth_year_that_is_not_four_digits_is_kept_as_text_not_as_a_date() -> None:
    data = (
        document()
        .replace(b"<YEAR>1966</YEAR>", b"<YEAR>19660</YEAR>")
        .replace(b"<FROM_YEAR>1955</FROM_YEAR>", b"<FROM_YEAR>-955</FROM_YEAR>")
        .replace(b"1965-03-03", b"9999-12-31")
    )

    entry = entries_of(data)["QDi.414"]

    assert entry.birth_dates == ("9999-12-31",)
    remarks = entry.remarks or ""
    assert "date of birth APPROXIMATELY 19660" in remarks
    assert "date of birth BETWEEN -955 1958" in remarks
