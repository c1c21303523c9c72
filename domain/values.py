"""Value types of the sanctions domain.

Everything here is immutable and compares by value, so that a subject rebuilt from its
events equals the subject as it was saved. Sequences are tuples for the same reason.
Effective times are timezone-aware UTC datetimes: a list observed several times a day needs
more than a date to say which copy was in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from domain.errors import InvalidValue


class Authority(StrEnum):
    """Who imposes a measure."""

    US_OFAC = "US-OFAC"
    US_STATE = "US-STATE"
    UK = "UK"
    CA = "CA"
    EU = "EU"
    UN_SC = "UN-SC"


class MeasureKind(StrEnum):
    """What a measure imposes."""

    DESIGNATION = "designation"
    VISA_BAN = "visa_ban"
    INVESTMENT_RESTRICTION = "investment_restriction"


class SubjectKind(StrEnum):
    """Who or what is sanctioned."""

    PERSON = "person"
    ORGANIZATION = "organization"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


class NameType(StrEnum):
    """How a name relates to its subject.

    ``description`` stands in for a name the source withholds: the ledger records an
    unnamed subject as the source describes it and never invents a name.
    """

    PRIMARY = "primary"
    AKA = "aka"
    FKA = "fka"
    NKA = "nka"
    WEAK_AKA = "weak_aka"
    DESCRIPTION = "description"


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are rejected rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{moment.isoformat()} has no time zone; give one (e.g. 'Z')")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(
            f"{moment.isoformat()} falls outside the calendar (years 1 to 9999) in UTC"
        ) from None


def _text(value: str, what: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise InvalidValue(f"{what} must not be empty")
    return stripped


@dataclass(frozen=True)
class Name:
    value: str
    type: NameType = NameType.PRIMARY

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _text(self.value, "a name"))
        object.__setattr__(self, "type", NameType(self.type))


@dataclass(frozen=True)
class Identifier:
    """A document or registry number, e.g. a passport with its issuing country."""

    kind: str
    value: str
    country: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _text(self.kind, "an identifier kind"))
        object.__setattr__(self, "value", _text(self.value, "an identifier value"))


@dataclass(frozen=True)
class Address:
    text: str
    country: str | None = None


@dataclass(frozen=True)
class Detail:
    """A labelled fact a source states that has no field of its own (e.g. a vessel's flag)."""

    label: str
    value: str


@dataclass(frozen=True)
class Reference:
    """An authority's own identifier for a subject (OFAC ``ent_num``, UN ``QDi.414``)."""

    authority: Authority
    id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "authority", Authority(self.authority))
        object.__setattr__(self, "id", _text(self.id, "a reference id"))

    def __str__(self) -> str:
        return f"{self.authority}:{self.id}"


@dataclass(frozen=True)
class Profile:
    """Who a subject is, as the sources describe it at some effective time."""

    names: tuple[Name, ...]
    identifiers: tuple[Identifier, ...] = ()
    birth_dates: tuple[str, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    links: tuple[str, ...] = ()
    title: str | None = None
    gender: str | None = None
    remarks: str | None = None
    details: tuple[Detail, ...] = ()

    def __post_init__(self) -> None:
        if not self.names:
            raise InvalidValue("a subject needs at least one name")
        leading = self.names[0].type
        if leading not in (NameType.PRIMARY, NameType.DESCRIPTION):
            raise InvalidValue("the first name must be the primary name or a description")

    @property
    def primary_name(self) -> str:
        return self.names[0].value


@dataclass(frozen=True)
class Source:
    """The public document an event cites: who published it, which one, where, when."""

    authority: Authority
    reference: str
    url: str | None = None
    published_on: date | None = None
    observed_at: datetime | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "authority", Authority(self.authority))
        object.__setattr__(self, "reference", _text(self.reference, "a source reference"))


@dataclass(frozen=True)
class Actor:
    """Who recorded an event: an API key's id and name, or a named CLI user."""

    id: str
    name: str


@dataclass(frozen=True)
class MeasureTerms:
    """What a measure says, as amendable over time.

    ``covers_family`` belongs to visa bans and ``divestment_deadline`` to investment
    restrictions; the subject aggregate checks that each kind carries only its own.
    """

    programs: tuple[str, ...]
    legal_basis: str | None = None
    covers_family: bool = False
    divestment_deadline: datetime | None = None
    details: str | None = None

    def __post_init__(self) -> None:
        programs = tuple(sorted({_text(p, "a program") for p in self.programs}))
        if not programs:
            raise InvalidValue("a measure needs at least one program")
        object.__setattr__(self, "programs", programs)
        if self.divestment_deadline is not None:
            object.__setattr__(self, "divestment_deadline", utc(self.divestment_deadline))
