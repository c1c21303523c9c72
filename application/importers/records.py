"""What the list parsers produce: one plain record per listed subject, whatever the source.

The OFAC CSV and the UN XML describe the same kind of facts in very different shapes. Both
parsers translate into these frozen records so that the rest of the ledger compares, diffs and
stores listings without knowing where they came from. Every collection is a tuple, so a record
is hashable and can never be changed after parsing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Final, Literal, TypeVar

from domain.text import UNACCEPTABLE

SubjectKindName = Literal["person", "organization", "vessel", "aircraft"]
NameTypeName = Literal["primary", "aka", "fka", "nka", "weak_aka"]

_Item = TypeVar("_Item", bound=Hashable)

FORBIDDEN_CHARACTER: Final = UNACCEPTABLE
"""Characters no text of the ledger may hold: they are invisible, or not text at all."""


@dataclass(frozen=True)
class ParsedName:
    """One name of a subject, with the role the list gives it."""

    value: str
    type: NameTypeName


@dataclass(frozen=True)
class ParsedIdentifier:
    """A document or registry number, e-mail, website and the like.

    ``kind`` is a small vocabulary ("passport", "national_id", "tax_id", ...) or "other";
    ``note`` keeps whatever else the source says, such as the original label or the validity.
    """

    kind: str
    value: str
    country: str | None
    note: str | None


@dataclass(frozen=True)
class ParsedAddress:
    """An address: street, city and postal code joined with ", ", the country kept apart."""

    text: str
    country: str | None


@dataclass(frozen=True)
class ListEntry:
    """One subject as one publication of a list describes it.

    ``names[0]`` is the primary name exactly as published, the aliases follow in source order
    without duplicates. ``remarks`` keeps the source text that no other field took, so that
    nothing the list says is dropped. ``line`` is where the entry starts in the source file.
    """

    reference: str
    subject_kind: SubjectKindName
    names: tuple[ParsedName, ...]
    programs: tuple[str, ...]
    birth_dates: tuple[str, ...]
    birth_places: tuple[str, ...]
    nationalities: tuple[str, ...]
    identifiers: tuple[ParsedIdentifier, ...]
    addresses: tuple[ParsedAddress, ...]
    links: tuple[str, ...]
    title: str | None
    gender: str | None
    listed_on: str | None
    details: tuple[tuple[str, str], ...]
    remarks: str | None
    line: int


class MalformedPublication(ValueError):
    """A list file that cannot be trusted: malformed, corrupted or truncated.

    The whole file must be rejected: recording part of a publication would make the missing
    entries look delisted.
    """

    def __init__(self, source: str, line: int, message: str) -> None:
        super().__init__(f"{source}, line {line}: {message}")
        self.source = source
        self.line = line
        self.message = message

    def __reduce__(self) -> tuple[type[MalformedPublication], tuple[str, int, str]]:
        """Rebuild from the three parts, so the error survives pickling (multiprocessing)."""
        return (type(self), (self.source, self.line, self.message))


def describe_character(character: str) -> str:
    """A forbidden character named for a refusal message: ``control character U+0085``."""
    kinds = {"Cc": "control character", "Cs": "lone surrogate"}
    kind = kinds.get(unicodedata.category(character), "non-character")
    return f"{kind} U+{ord(character):04X}"


def unique_in_order(items: Iterable[_Item]) -> tuple[_Item, ...]:
    """Drop repeats, keep the first occurrence: a list may state one fact in two places."""
    return tuple(dict.fromkeys(items))


def unique_names(names: Iterable[ParsedName]) -> tuple[ParsedName, ...]:
    """Drop names whose text was already given, keeping the first (strongest) role."""
    kept: dict[str, ParsedName] = {}
    for name in names:
        kept.setdefault(name.value, name)
    return tuple(kept.values())
