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
the schema does not define are ignored. Each field is read in ``un_entry_fields``; this module
streams the list, checks it whole and assembles the entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, Final

from lxml import etree

from application.importers.records import (
    ListEntry,
    MalformedPublication,
    ParsedName,
    SubjectKindName,
    unique_in_order,
    unique_names,
)
from application.importers.un_entry_fields import (
    addresses,
    aliases,
    birth_dates,
    birth_places,
    details,
    documents,
    gender,
    listed_on,
    remarks,
    text,
    texts,
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
    reference = text(element, "REFERENCE_NUMBER")
    if reference is None:
        raise MalformedPublication(source, line, "REFERENCE_NUMBER is missing")
    primary = " ".join(part for tag in _NAME_PARTS if (part := text(element, tag)))
    if not primary:
        raise MalformedPublication(source, line, f"{reference} has no name")
    dates_of_birth, birth_date_notes = birth_dates(element)
    identifiers, document_notes = documents(element)
    return ListEntry(
        reference=reference,
        subject_kind=kind,
        names=unique_names([ParsedName(value=primary, type="primary"), *aliases(element)]),
        programs=tuple(sorted(set(texts(element, "UN_LIST_TYPE")))),
        birth_dates=unique_in_order(dates_of_birth),
        birth_places=unique_in_order(birth_places(element)),
        nationalities=unique_in_order(texts(element, "NATIONALITY/VALUE", "NATIONALITY2")),
        identifiers=unique_in_order(identifiers),
        addresses=unique_in_order(addresses(element)),
        links=(),
        title="; ".join(texts(element, "DESIGNATION/VALUE")) or None,
        gender=gender(element),
        listed_on=listed_on(element, reference, source),
        details=details(element),
        remarks=remarks(element, birth_date_notes, document_notes),
        line=line,
    )
