"""Facts hidden in the free-text ``Remarks`` column of the OFAC legacy CSV files.

The legacy CSV has no columns for dates of birth, identity documents, nationality, weak aliases
or links between entries: OFAC writes them into ``Remarks`` as ";"-separated clauses such as
``DOB 07 Aug 1969; nationality Russia; Passport B00002095 (Bangladesh) issued 04 Mar 2020;
a.k.a. 'KA PA SA'; Linked To: EUROPEAN INSTITUTE JUSTO.`` This module turns the clauses that
follow a regular pattern into fields and keeps every other clause verbatim in ``rest``: nothing
the list says is lost, it is either parsed or kept.

Conventions found in the published files (308 copies, 2021-08 to 2024-05):

* a clause may start with ``alt.`` to give one more value of the same kind (``alt. DOB 1961``);
  the marker is dropped, the value joins the others;
* aliases in the remarks are OFAC's *weak* aliases (the strong ones are in ``alt.csv``, see
  OFAC's data specification), so ``a.k.a. 'X'`` becomes ``weak_aka``; ``f.k.a.``/``n.k.a.``
  keep their former/now-known role, which the record has no weak variant for;
* the whole text ends with a "." that belongs to no value. OFAC does not double it, so a last
  ``Linked To: ... S.A.`` loses its final dot; resolvers of links must allow for that;
* OFAC cuts the column at 1,000 characters (the rest goes to a spill-over file that the legacy
  set does not include). A text that does not end with "." was cut, so its last clause is
  incomplete and is kept in ``rest`` rather than parsed into a wrong value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from application.importers.ofac_identifiers import parse_identifier
from application.importers.records import NameTypeName, ParsedIdentifier, ParsedName


@dataclass(frozen=True)
class RemarksFacts:
    """What one ``Remarks`` text states, clause by clause; ``rest`` is what was not parsed."""

    aliases: tuple[ParsedName, ...] = ()
    birth_dates: tuple[str, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    citizenships: tuple[str, ...] = ()
    identifiers: tuple[ParsedIdentifier, ...] = ()
    links: tuple[str, ...] = ()
    gender: str | None = None
    title: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    rest: str | None = None


@dataclass
class _Collected:
    """The facts found so far in one text; frozen into ``RemarksFacts`` at the end."""

    title: str | None
    aliases: list[ParsedName] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    identifiers: list[ParsedIdentifier] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    gender: str | None = None
    title_found: bool = False
    details: list[tuple[str, str]] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)

    def freeze(self) -> RemarksFacts:
        """The immutable result."""
        return RemarksFacts(
            aliases=tuple(self.aliases),
            birth_dates=tuple(self.birth_dates),
            birth_places=tuple(self.birth_places),
            nationalities=tuple(self.nationalities),
            citizenships=tuple(self.citizenships),
            identifiers=tuple(self.identifiers),
            links=tuple(self.links),
            gender=self.gender,
            title=self.title if self.title_found else None,
            details=tuple(self.details),
            rest="; ".join(self.rest) or None,
        )


def parse_remarks(text: str, *, title: str | None = None) -> RemarksFacts:
    """Parse one ``Remarks`` text (``-0-`` or empty gives no facts).

    ``title`` is the entry's ``Title`` column: OFAC repeats it as a clause of its own, which is
    then recognised as the title instead of being left in ``rest``.
    """
    clauses, complete = split_clauses(text)
    collected = _Collected(title=title)
    for position, clause in enumerate(clauses, start=1):
        cut_off = not complete and position == len(clauses)
        if cut_off or not _take(clause, collected):
            collected.rest.append(clause)
    return collected.freeze()


def split_clauses(text: str) -> tuple[list[str], bool]:
    """Cut a ``Remarks`` text into its clauses; the flag says whether the text is complete.

    Clauses are separated by ";" outside parentheses (one published clause quotes a passport
    in parentheses that contain ";"). If the parentheses do not balance, which happens when
    the text was cut, every ";" separates.
    """
    text = text.strip()
    if text in ("", "-0-"):
        return [], True
    complete = text.endswith(".")
    if complete:
        text = text[:-1]
    pieces = _split_outside_parentheses(text)
    if pieces is None:
        pieces = text.split(";")
    return [piece.strip() for piece in pieces if piece.strip()], complete


def _split_outside_parentheses(text: str) -> list[str] | None:
    """Split at ";" at parenthesis depth zero, or None if the parentheses do not balance."""
    pieces: list[str] = []
    depth = 0
    start = 0
    for index, character in enumerate(text):
        if character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
            if depth < 0:
                return None
        elif character == ";" and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces if depth == 0 else None


def _take(clause: str, collected: _Collected) -> bool:
    """Record the clause as a fact if one of the known patterns fits; False if none does."""
    if clause == collected.title and not collected.title_found:
        collected.title_found = True
        return True
    if _take_alias(clause, collected) or _take_link(clause, collected):
        return True
    body = clause.removeprefix("alt. ")
    return any(parser(body, collected) for parser in _VALUE_PARSERS)


_ALIAS = re.compile(r"(?P<kind>[afn])\.k\.a\. '(?P<name>.+)'")
_ALIAS_TYPES: dict[str, NameTypeName] = {"a": "weak_aka", "f": "fka", "n": "nka"}


def _take_alias(clause: str, collected: _Collected) -> bool:
    """``a.k.a. 'X'`` (a weak alias), ``f.k.a. 'X'`` or ``n.k.a. 'X'``."""
    match = _ALIAS.fullmatch(clause)
    if match is None:
        return False
    name_type = _ALIAS_TYPES[match["kind"]]
    collected.aliases.append(ParsedName(value=match["name"].strip(), type=name_type))
    return True


_LINK = re.compile(r"Linked To: (?P<target>\S.*)")


def _take_link(clause: str, collected: _Collected) -> bool:
    """``Linked To: NAME``: the name of another listed entry, as written."""
    match = _LINK.fullmatch(clause)
    if match is None:
        return False
    collected.links.append(match["target"])
    return True


_DOB = re.compile(r"DOB (?P<value>.+)")


def _take_birth_date(body: str, collected: _Collected) -> bool:
    """``DOB 07 Aug 1969``, ``DOB Aug 1953``, ``DOB 1961``, ``DOB circa 1960``, ranges."""
    match = _DOB.fullmatch(body)
    birth_date = birth_date_iso(match["value"]) if match else None
    if birth_date is None:
        return False
    collected.birth_dates.append(birth_date)
    return True


_POB = re.compile(r"POB (?P<place>\S.*)")


def _take_birth_place(body: str, collected: _Collected) -> bool:
    """``POB Gopalganj, Bangladesh``, kept as written."""
    match = _POB.fullmatch(body)
    if match is None:
        return False
    collected.birth_places.append(match["place"])
    return True


_NATIONALITY = re.compile(r"nationality (?P<country>[A-Z].*)")
_CITIZENSHIP = re.compile(r"citizen (?P<country>[A-Z].*)")


def _take_nationality(body: str, collected: _Collected) -> bool:
    """``nationality Russia``; a lower-case value (``nationality possibly X``) is not a country."""
    match = _NATIONALITY.fullmatch(body)
    if match is None:
        return False
    collected.nationalities.append(match["country"])
    return True


def _take_citizenship(body: str, collected: _Collected) -> bool:
    """``citizen Burma``."""
    match = _CITIZENSHIP.fullmatch(body)
    if match is None:
        return False
    collected.citizenships.append(match["country"])
    return True


_GENDER = re.compile(r"Gender (?P<gender>[A-Z][a-z]+)")


def _take_gender(body: str, collected: _Collected) -> bool:
    """``Gender Male``; a second gender clause stays in ``rest`` rather than overwriting."""
    match = _GENDER.fullmatch(body)
    if match is None or collected.gender is not None:
        return False
    collected.gender = match["gender"]
    return True


def _take_identifier(body: str, collected: _Collected) -> bool:
    identifier = parse_identifier(body)
    if identifier is None:
        return False
    collected.identifiers.append(identifier)
    return True


# Clause labels for other structured facts, mapped to the detail label the record uses.
_DETAIL_LABELS: dict[str, str] = {
    "Organization Established Date": "organization_established_date",
    "Organization Type:": "organization_type",
    "Target Type": "target_type",
    "Secondary sanctions risk:": "secondary_sanctions_risk",
    "Additional Sanctions Information -": "additional_sanctions_information",
    "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions:": (
        "transactions_prohibited"
    ),
    "Aircraft Manufacture Date": "aircraft_manufacture_date",
    "Aircraft Model": "aircraft_model",
    "Aircraft Operator": "aircraft_operator",
    "Vessel Year of Build": "vessel_year_of_build",
    "Former Vessel Flag": "former_vessel_flag",
    "Other Vessel Flag": "other_vessel_flag",
    "Other Vessel Type": "other_vessel_type",
    "Other Vessel Call Sign": "other_vessel_call_sign",
    "Nationality of Registration": "nationality_of_registration",
    "Executive Order 13662 Directive Determination -": "eo13662_directive_determination",
    "Executive Order 13846 information:": "eo13846_information",
    "CAATSA Section 235 Information:": "caatsa_section_235_information",
    "IFCA Determination -": "ifca_determination",
}
_DETAIL_ALTERNATIVES = "|".join(re.escape(label) for label in _DETAIL_LABELS)
_DETAIL = re.compile(rf"(?P<label>{_DETAIL_ALTERNATIVES}) +(?P<value>\S.*)")


def _take_detail(body: str, collected: _Collected) -> bool:
    """``Target Type Government Entity``, ``Organization Established Date 18 Mar 1997`` ..."""
    match = _DETAIL.fullmatch(body)
    if match is None:
        return False
    label = _DETAIL_LABELS[match["label"]]
    value = match["value"]
    if label.endswith("_date"):
        value = date_iso(value) or value
    collected.details.append((label, value))
    return True


_VALUE_PARSERS: tuple[Callable[[str, _Collected], bool], ...] = (
    _take_birth_date,
    _take_birth_place,
    _take_nationality,
    _take_citizenship,
    _take_gender,
    _take_identifier,
    _take_detail,
)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_DATE = re.compile(r"(?:(?:(?P<day>\d{1,2}) )?(?P<month>[A-Z][a-z]{2}) )?(?P<year>\d{4})")
_YEAR_RANGE = re.compile(r"(?P<start>\d{4})-(?P<end>\d{4})")


def date_iso(text: str) -> str | None:
    """``07 Aug 1969`` -> ``1969-08-07``, ``Aug 1953`` -> ``1953-08``, ``1960`` -> ``1960``.

    None if the text is not such a date or names a day that does not exist.
    """
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    year = int(match["year"])
    if match["month"] is None:
        return f"{year:04d}"
    month = _MONTHS.get(match["month"])
    if month is None:
        return None
    if match["day"] is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, int(match["day"])).isoformat()
    except ValueError:
        return None


def birth_date_iso(text: str) -> str | None:
    """A date of birth as partial ISO 8601: a date, ``A/B`` for a range, ``~`` for circa.

    ``01 Jan 1955 to 31 Dec 1955`` -> ``1955-01-01/1955-12-31``, ``circa 1960`` -> ``~1960``,
    ``circa 1979-1982`` -> ``~1979/1982``. None if the text fits none of these shapes.
    """
    if text.startswith("circa "):
        inner = birth_date_iso(text.removeprefix("circa "))
        return None if inner is None or inner.startswith("~") else f"~{inner}"
    years = _YEAR_RANGE.fullmatch(text)
    if years is not None:
        return f"{years['start']}/{years['end']}"
    start, separator, end = text.partition(" to ")
    if separator:
        start_iso, end_iso = date_iso(start), date_iso(end)
        return f"{start_iso}/{end_iso}" if start_iso and end_iso else None
    return date_iso(text)
