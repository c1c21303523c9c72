"""Streaming parser for the UN Security Council Consolidated List XML.

The list (schema ``sc-sanctions.xsd``) has a root ``CONSOLIDATED_LIST`` with the attribute
``dateGenerated`` and two sections, ``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``. Each
entry is turned into a ``ListEntry`` as soon as its closing tag is read and then dropped from
the tree, so memory stays bounded by one entry however long the list grows.

A list file is trusted whole or not at all. XML that is not well formed (a truncated download
ends inside an open element), a missing ``dateGenerated``, an entry without reference, name or
valid ``LISTED_ON``, or a reference given twice raises ``MalformedPublication`` with the line.
As the entries stream, such a fault can surface after earlier entries were yielded: callers
must consume ``entries`` completely before acting on any of them, and record nothing from a
file that fails.

What the parser would otherwise drop or bend without a word (a DOCTYPE and its entities,
XInclude, comments inside an entry, another encoding, text the ledger does not accept) is
refused the same way (``application.importers.xml_refusals``). ``dateGenerated`` must carry
a time zone and lie within the calendar once converted to UTC.

Facts without a field of their own are kept, as ``(label, value)`` details (``dataid``,
``versionnum``, ``last_day_updated``, ``title`` ...) or as "; "-joined remarks (``COMMENTS1``,
notes on aliases, dates of birth given only as text, documents without a number). Elements
the schema does not define are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import BinaryIO, Final

from lxml import etree

from application.importers.records import (
    ListEntry,
    MalformedPublication,
    NameTypeName,
    ParsedAddress,
    ParsedIdentifier,
    ParsedName,
    SubjectKindName,
    unique_in_order,
    unique_names,
)
from application.importers.xml_refusals import (
    line_of,
    refuse_doctype,
    refuse_hidden_content,
    refuse_other_encoding,
    refuse_xinclude,
)

_ROOT: Final = "CONSOLIDATED_LIST"
_SECTIONS: Final[dict[str, tuple[str, SubjectKindName]]] = {
    "INDIVIDUAL": ("INDIVIDUALS", "person"),
    "ENTITY": ("ENTITIES", "organization"),
}
_NAME_PARTS: Final = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
_ALIAS_TAGS: Final = ("INDIVIDUAL_ALIAS", "ENTITY_ALIAS")
_ADDRESS_TAGS: Final = ("INDIVIDUAL_ADDRESS", "ENTITY_ADDRESS")
_ALIAS_QUALITIES: Final[dict[str, NameTypeName]] = {
    "Good": "aka",
    "a.k.a.": "aka",
    "Low": "weak_aka",
    "f.k.a.": "fka",
}
_ALIAS_FACTS: Final = (
    ("DATE_OF_BIRTH", "date of birth "),
    ("CITY_OF_BIRTH", "city of birth "),
    ("COUNTRY_OF_BIRTH", "country of birth "),
    ("NOTE", ""),
)
_DOCUMENT_KINDS: Final = {
    "passport": "passport",
    "numéro de passeport": "passport",
    "número de pasaporte": "passport",
    "national identification number": "national_id",
    "national identification no.": "national_id",
}
_SCALAR_DETAILS: Final = (
    "DATAID",
    "VERSIONNUM",
    "SUBMITTED_BY",
    "SUBMITTED_ON",
    "DELISTED_ON",
    "SORT_KEY",
    "SORT_KEY_LAST_MOD",
)
_LIST_DETAILS: Final = ("LIST_TYPE", "LAST_DAY_UPDATED", "TITLE")
_DATE_TYPES: Final = (None, "EXACT", "APPROXIMATELY", "BETWEEN")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class UnPublication:
    """One copy of the UN list: when the UN generated it, and its entries as a stream."""

    date_generated: datetime
    entries: Iterator[ListEntry]


def read_un_list(stream: BinaryIO, *, source: str = "consolidated.xml") -> UnPublication:
    """Open a consolidated list: read the root's ``dateGenerated`` now, the entries lazily.

    ``date_generated`` is timezone-aware UTC. Raises ``MalformedPublication`` here if the
    document does not start like the list, and later, while ``entries`` is consumed, for any
    fault in the rest of the file.
    """
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        # Never expand, load or fetch anything the file points to: a DOCTYPE is refused below.
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
    )
    events = _events(parser, source)
    first = next(events, None)
    if first is None:
        raise MalformedPublication(source, 1, "the file is empty")
    root = first[1]
    refuse_doctype(root, source)
    if root.tag != _ROOT:
        raise MalformedPublication(source, line_of(root), f"the root element is not {_ROOT}")
    return UnPublication(
        date_generated=_date_generated(root, source),
        entries=_entries(events, root, source),
    )


def _events(
    parser: etree.iterparse[tuple[str, etree._Element]], source: str
) -> Iterator[tuple[str, etree._Element]]:
    """The parser's events, with XML syntax errors (such as a truncated file) made ours."""
    try:
        yield from parser
    except etree.XMLSyntaxError as error:
        # The parser's own log holds the first cause (``Entity 'x' not defined``) where the
        # exception may only say ``no element found``; an empty log means nothing was read.
        errors = parser.error_log.filter_from_errors()
        if not errors:
            raise MalformedPublication(source, 1, "the file is empty") from error
        cause = errors[0]
        line = max(cause.line, 1)
        raise MalformedPublication(source, line, f"invalid XML: {cause.message}") from error


def _date_generated(root: etree._Element, source: str) -> datetime:
    """The root's ``dateGenerated`` as an aware UTC datetime."""
    value = root.get("dateGenerated")
    if value is None:
        raise MalformedPublication(source, line_of(root), "dateGenerated is missing")
    try:
        generated = datetime.fromisoformat(value.strip())
    except ValueError as error:
        message = f"dateGenerated {value!r} is not an ISO 8601 date and time"
        raise MalformedPublication(source, line_of(root), message) from error
    if generated.tzinfo is None:
        # Not read as UTC: the UN states its offset (-04:00, -05:00), so a missing one is a fault.
        message = f"dateGenerated {value!r} has no time zone"
        raise MalformedPublication(source, line_of(root), message)
    try:
        return generated.astimezone(UTC)
    except OverflowError as error:  # 9999-12-31T23:59:59-01:00 is in year 10000 in UTC
        message = f"dateGenerated {value!r} lies outside the calendar in UTC"
        raise MalformedPublication(source, line_of(root), message) from error


def _entries(
    events: Iterator[tuple[str, etree._Element]], root: etree._Element, source: str
) -> Iterator[ListEntry]:
    """Each INDIVIDUAL and ENTITY as it closes; the element is then freed."""
    lines: dict[str, int] = {}
    for event, element in events:
        if event == "start":
            refuse_xinclude(element, source)
        if event == "end" and element is root and not lines:
            raise MalformedPublication(source, line_of(element), "the list has no entries")
        if event != "end" or element.tag not in _SECTIONS:
            continue
        section, kind = _SECTIONS[str(element.tag)]
        parent = element.getparent()
        if parent is None or parent.tag != section:
            message = f"{element.tag} outside {section}"
            raise MalformedPublication(source, line_of(element), message)
        refuse_hidden_content(element, source)
        entry = _entry(element, kind, source)
        first = lines.setdefault(entry.reference, entry.line)
        if first != entry.line:
            message = f"REFERENCE_NUMBER {entry.reference} was already given on line {first}"
            raise MalformedPublication(source, entry.line, message)
        yield entry
        _free(element)
    refuse_other_encoding(root, source)


def _free(element: etree._Element) -> None:
    """Drop a finished entry and its finished siblings, so the tree does not grow."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _entry(element: etree._Element, kind: SubjectKindName, source: str) -> ListEntry:
    """Translate one INDIVIDUAL or ENTITY element."""
    line = line_of(element)
    reference = _text(element, "REFERENCE_NUMBER")
    if reference is None:
        raise MalformedPublication(source, line, "REFERENCE_NUMBER is missing")
    primary = " ".join(part for tag in _NAME_PARTS if (part := _text(element, tag)))
    if not primary:
        raise MalformedPublication(source, line, f"{reference} has no name")
    birth_dates, birth_date_notes = _birth_dates(element)
    identifiers, document_notes = _documents(element)
    return ListEntry(
        reference=reference,
        subject_kind=kind,
        names=unique_names([ParsedName(value=primary, type="primary"), *_aliases(element)]),
        programs=tuple(sorted(set(_texts(element, "UN_LIST_TYPE")))),
        birth_dates=unique_in_order(birth_dates),
        birth_places=unique_in_order(_birth_places(element)),
        nationalities=unique_in_order(_texts(element, "NATIONALITY/VALUE", "NATIONALITY2")),
        identifiers=unique_in_order(identifiers),
        addresses=unique_in_order(_addresses(element)),
        links=(),
        title="; ".join(_texts(element, "DESIGNATION/VALUE")) or None,
        gender=_gender(element),
        listed_on=_listed_on(element, reference, source),
        details=_details(element),
        remarks=_remarks(element, birth_date_notes, document_notes),
        line=line,
    )


def _aliases(element: etree._Element) -> list[ParsedName]:
    """The original-script name, then the aliases; Good/a.k.a. are strong, Low is weak."""
    names = [ParsedName(value=name, type="aka") for name in _texts(element, "NAME_ORIGINAL_SCRIPT")]
    for alias in element.iterchildren(*_ALIAS_TAGS):
        name = _text(alias, "ALIAS_NAME")
        if name is not None:
            name_type = _ALIAS_QUALITIES.get(_text(alias, "QUALITY") or "", "aka")
            names.append(ParsedName(value=name, type=name_type))
    return names


def _birth_dates(element: etree._Element) -> tuple[list[str], list[str]]:
    """Dates of birth as partial ISO dates, and what is given only as text (for the remarks)."""
    dates: list[str] = []
    notes: list[str] = []
    for birth in element.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        value = _birth_date(birth)
        note = _text(birth, "NOTE")
        approximate = note is not None and note.casefold() == "approximately"
        if value is not None:
            dates.append(f"~{value}" if approximate and not value.startswith("~") else value)
        else:
            notes.extend(_unreadable_birth_date(birth))
        if note is not None and not approximate:
            notes.append(f"date of birth {value}: {note}" if value else f"date of birth {note}")
    return dates, notes


def _birth_date(birth: etree._Element) -> str | None:
    """EXACT ``DATE`` or ``YEAR``, APPROXIMATELY (``~``), BETWEEN ``FROM_YEAR/TO_YEAR``."""
    date_type = _text(birth, "TYPE_OF_DATE")
    if date_type not in _DATE_TYPES:
        return None
    exact = _iso_date(_text(birth, "DATE")) or _year(_text(birth, "YEAR"))
    start, end = _year(_text(birth, "FROM_YEAR")), _year(_text(birth, "TO_YEAR"))
    value = exact or (f"{start}/{end}" if start and end else None)
    if value is not None and date_type == "APPROXIMATELY":
        return f"~{value}"
    return value


def _unreadable_birth_date(birth: etree._Element) -> Iterator[str]:
    """A date of birth of an unknown type or not a real date, kept as written."""
    values = _texts(birth, "DATE", "YEAR", "FROM_YEAR", "TO_YEAR")
    if values:
        yield " ".join(["date of birth", *_texts(birth, "TYPE_OF_DATE"), *values])


def _birth_places(element: etree._Element) -> Iterator[str]:
    """City, state and country joined with ", ", then any note after "; "."""
    for place in element.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        text = _joined(place, ("CITY", "STATE_PROVINCE", "COUNTRY"), "NOTE")
        if text:
            yield text


def _addresses(element: etree._Element) -> Iterator[ParsedAddress]:
    """Street, city, state and postal code joined with ", " (note after "; "), country apart."""
    for address in element.iterchildren(*_ADDRESS_TAGS):
        text = _joined(address, ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE"), "NOTE")
        country = _text(address, "COUNTRY")
        if text or country:
            yield ParsedAddress(text=text, country=country)


def _documents(element: etree._Element) -> tuple[list[ParsedIdentifier], list[str]]:
    """Documents with a NUMBER become identifiers; the others are kept as remarks text."""
    identifiers: list[ParsedIdentifier] = []
    notes: list[str] = []
    for document in element.iterfind("INDIVIDUAL_DOCUMENT"):
        label = _text(document, "TYPE_OF_DOCUMENT")
        kind = _DOCUMENT_KINDS.get((label or "").casefold(), "other")
        issuing_country = _text(document, "ISSUING_COUNTRY")
        facts = _document_facts(document, issuing_country)
        number = _text(document, "NUMBER")
        if number is not None:
            country = issuing_country or _text(document, "COUNTRY_OF_ISSUE")
            note_parts = [label, *facts] if kind == "other" and label else facts
            note = "; ".join(note_parts) or None
            identifiers.append(
                ParsedIdentifier(kind=kind, value=number, country=country, note=note)
            )
        elif label or facts:
            notes.append(": ".join(part for part in (label, ", ".join(facts)) if part))
    return identifiers, notes


def _document_facts(document: etree._Element, issuing_country: str | None) -> list[str]:
    """What a document says besides its type, number and issuing country."""
    country_of_issue = _text(document, "COUNTRY_OF_ISSUE")
    facts = [
        _text(document, "TYPE_OF_DOCUMENT2"),
        _prefixed("issued ", _text(document, "DATE_OF_ISSUE")),
        _prefixed("issued in ", _text(document, "CITY_OF_ISSUE")),
        _prefixed("country of issue ", country_of_issue if issuing_country else None),
        _text(document, "NOTE"),
    ]
    return [fact for fact in facts if fact]


def _gender(element: etree._Element) -> str | None:
    """``Male``/``MALE`` -> ``Male``; ``Unknown`` says nothing and gives None."""
    gender = _text(element, "GENDER")
    if gender is None or gender.casefold() == "unknown":
        return None
    return gender.capitalize()


def _listed_on(element: etree._Element, reference: str, source: str) -> str:
    """LISTED_ON as an ISO date; a time-zone suffix (``2015-03-27-04:00``) is dropped."""
    listed_on = _iso_date(_text(element, "LISTED_ON"))
    if listed_on is None:
        message = f"{reference} has no valid LISTED_ON"
        raise MalformedPublication(source, line_of(element), message)
    return listed_on


def _details(element: etree._Element) -> tuple[tuple[str, str], ...]:
    """Bookkeeping facts as ``(tag in lower case, value)``, one pair per value."""
    scalars = [(tag.lower(), value) for tag in _SCALAR_DETAILS for value in _texts(element, tag)]
    lists = [
        (tag.lower(), value) for tag in _LIST_DETAILS for value in _texts(element, f"{tag}/VALUE")
    ]
    return (*scalars, *lists)


def _remarks(
    element: etree._Element, birth_date_notes: list[str], document_notes: list[str]
) -> str | None:
    """COMMENTS1, then what aliases, dates of birth and documents say only as text."""
    comments = (element.findtext("COMMENTS1") or "").strip()
    alias_notes = list(_alias_notes(element))
    remarks = [comments, *alias_notes, *birth_date_notes, *document_notes]
    return "; ".join(remark for remark in remarks if remark) or None


def _alias_notes(element: etree._Element) -> Iterator[str]:
    """``NAME: date of birth X, note`` for aliases that carry more than a name."""
    for alias in element.iterchildren(*_ALIAS_TAGS):
        name = _text(alias, "ALIAS_NAME")
        facts = [_prefixed(prefix, _text(alias, tag)) for tag, prefix in _ALIAS_FACTS]
        present = [fact for fact in facts if fact]
        if name is not None and present:
            yield f"{name}: {', '.join(present)}"


def _iso_date(value: str | None) -> str | None:
    """The ``YYYY-MM-DD`` at the start of an xs:date, if it is a real date."""
    if value is None or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None


def _year(value: str | None) -> str | None:
    """A four-digit year; anything else (``19650``, ``1965?``) is no date, only text."""
    return value if value is not None and _YEAR.fullmatch(value) else None


def _joined(element: etree._Element, tags: tuple[str, ...], note_tag: str) -> str:
    """The texts of ``tags`` joined with ", ", then the note after "; "."""
    place = ", ".join(text for tag in tags if (text := _text(element, tag)))
    return "; ".join(part for part in (place, _text(element, note_tag)) if part)


def _prefixed(prefix: str, value: str | None) -> str | None:
    """``prefix + value``, or None without a value."""
    return None if value is None else f"{prefix}{value}"


def _texts(element: etree._Element, *paths: str) -> list[str]:
    """The non-empty, whitespace-normalised texts of all elements at ``paths``."""
    found = (_normalised(child.text) for path in paths for child in element.iterfind(path))
    return [text for text in found if text]


def _text(element: etree._Element, path: str) -> str | None:
    """The whitespace-normalised text of the first element at ``path``, None if empty."""
    return _normalised(element.findtext(path))


def _normalised(text: str | None) -> str | None:
    """Runs of whitespace (the file wraps long values) become one space; empty gives None."""
    normalised = " ".join((text or "").split())
    return normalised or None
