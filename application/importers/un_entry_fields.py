"""The fields of one UN consolidated list entry, read from its INDIVIDUAL or ENTITY element:
names and aliases, dates and places of birth, addresses, documents, gender, ``LISTED_ON``,
bookkeeping details and remarks, each text whitespace-normalised. ``un_xml`` assembles the
entry from them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Final

from lxml import etree

from application.importers.records import (
    MalformedPublication,
    NameTypeName,
    ParsedAddress,
    ParsedIdentifier,
    ParsedName,
)
from application.importers.xml_refusals import line_of

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


def aliases(element: etree._Element) -> list[ParsedName]:
    """The original-script name, then the aliases; Good/a.k.a. are strong, Low is weak."""
    names = [ParsedName(value=name, type="aka") for name in texts(element, "NAME_ORIGINAL_SCRIPT")]
    for alias in element.iterchildren(*_ALIAS_TAGS):
        name = text(alias, "ALIAS_NAME")
        if name is not None:
            name_type = _ALIAS_QUALITIES.get(text(alias, "QUALITY") or "", "aka")
            names.append(ParsedName(value=name, type=name_type))
    return names


def birth_dates(element: etree._Element) -> tuple[list[str], list[str]]:
    """Dates of birth as partial ISO dates, and what is given only as text (for the remarks)."""
    dates: list[str] = []
    notes: list[str] = []
    for birth in element.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        value = _birth_date(birth)
        note = text(birth, "NOTE")
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
    date_type = text(birth, "TYPE_OF_DATE")
    if date_type not in _DATE_TYPES:
        return None
    exact = _iso_date(text(birth, "DATE")) or _year(text(birth, "YEAR"))
    start, end = _year(text(birth, "FROM_YEAR")), _year(text(birth, "TO_YEAR"))
    value = exact or (f"{start}/{end}" if start and end else None)
    if value is not None and date_type == "APPROXIMATELY":
        return f"~{value}"
    return value


def _unreadable_birth_date(birth: etree._Element) -> Iterator[str]:
    """A date of birth of an unknown type or not a real date, kept as written."""
    values = texts(birth, "DATE", "YEAR", "FROM_YEAR", "TO_YEAR")
    if values:
        yield " ".join(["date of birth", *texts(birth, "TYPE_OF_DATE"), *values])


def birth_places(element: etree._Element) -> Iterator[str]:
    """City, state and country joined with ", ", then any note after "; "."""
    for place in element.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        joined = _joined(place, ("CITY", "STATE_PROVINCE", "COUNTRY"), "NOTE")
        if joined:
            yield joined


def addresses(element: etree._Element) -> Iterator[ParsedAddress]:
    """Street, city, state and postal code joined with ", " (note after "; "), country apart."""
    for address in element.iterchildren(*_ADDRESS_TAGS):
        joined = _joined(address, ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE"), "NOTE")
        country = text(address, "COUNTRY")
        if joined or country:
            yield ParsedAddress(text=joined, country=country)


def documents(element: etree._Element) -> tuple[list[ParsedIdentifier], list[str]]:
    """Documents with a NUMBER become identifiers; the others are kept as remarks text."""
    identifiers: list[ParsedIdentifier] = []
    notes: list[str] = []
    for document in element.iterfind("INDIVIDUAL_DOCUMENT"):
        label = text(document, "TYPE_OF_DOCUMENT")
        kind = _DOCUMENT_KINDS.get((label or "").casefold(), "other")
        issuing_country = text(document, "ISSUING_COUNTRY")
        facts = _document_facts(document, issuing_country)
        number = text(document, "NUMBER")
        if number is not None:
            country = issuing_country or text(document, "COUNTRY_OF_ISSUE")
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
    country_of_issue = text(document, "COUNTRY_OF_ISSUE")
    facts = [
        text(document, "TYPE_OF_DOCUMENT2"),
        _prefixed("issued ", text(document, "DATE_OF_ISSUE")),
        _prefixed("issued in ", text(document, "CITY_OF_ISSUE")),
        _prefixed("country of issue ", country_of_issue if issuing_country else None),
        text(document, "NOTE"),
    ]
    return [fact for fact in facts if fact]


def gender(element: etree._Element) -> str | None:
    """``Male``/``MALE`` -> ``Male``; ``Unknown`` says nothing and gives None."""
    gender = text(element, "GENDER")
    if gender is None or gender.casefold() == "unknown":
        return None
    return gender.capitalize()


def listed_on(element: etree._Element, reference: str, source: str) -> str:
    """LISTED_ON as an ISO date; a time-zone suffix (``2015-03-27-04:00``) is dropped."""
    listed_on = _iso_date(text(element, "LISTED_ON"))
    if listed_on is None:
        message = f"{reference} has no valid LISTED_ON"
        raise MalformedPublication(source, line_of(element), message)
    return listed_on


def details(element: etree._Element) -> tuple[tuple[str, str], ...]:
    """Bookkeeping facts as ``(tag in lower case, value)``, one pair per value."""
    scalars = [(tag.lower(), value) for tag in _SCALAR_DETAILS for value in texts(element, tag)]
    lists = [
        (tag.lower(), value) for tag in _LIST_DETAILS for value in texts(element, f"{tag}/VALUE")
    ]
    return (*scalars, *lists)


def remarks(
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
        name = text(alias, "ALIAS_NAME")
        facts = [_prefixed(prefix, text(alias, tag)) for tag, prefix in _ALIAS_FACTS]
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
    place = ", ".join(value for tag in tags if (value := text(element, tag)))
    return "; ".join(part for part in (place, text(element, note_tag)) if part)


def _prefixed(prefix: str, value: str | None) -> str | None:
    """``prefix + value``, or None without a value."""
    return None if value is None else f"{prefix}{value}"


def texts(element: etree._Element, *paths: str) -> list[str]:
    """The non-empty, whitespace-normalised texts of all elements at ``paths``."""
    found = (_normalised(child.text) for path in paths for child in element.iterfind(path))
    return [text for text in found if text]


def text(element: etree._Element, path: str) -> str | None:
    """The whitespace-normalised text of the first element at ``path``, None if empty."""
    return _normalised(element.findtext(path))


def _normalised(text: str | None) -> str | None:
    """Runs of whitespace (the file wraps long values) become one space; empty gives None."""
    normalised = " ".join((text or "").split())
    return normalised or None
