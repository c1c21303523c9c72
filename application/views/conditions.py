"""The conditions the views' queries put on their rows, and the filters clients ask for.

Every query filters the bitemporal tables with the same condition (``valid``): the row was
recorded at or before position K and not yet superseded at K, and it holds at effective time
A. A filter's value is always taken literally: LIKE's wildcards in it are escaped, an item of a
``|``-joined list is checked against the row's document too (so that ``A|B`` never matches a
measure under the programs A and B, nor ``A`` one under the program ``A|B``), and a name
that normalizes to nothing is refused rather than matching every subject.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from application.views.like import escaped
from application.views.rows import normalize
from domain.errors import InvalidValue

VALID = (
    "{t}.rec_from <= ? AND ({t}.rec_to IS NULL OR {t}.rec_to > ?) "
    "AND {t}.eff_from <= ? AND ({t}.eff_to IS NULL OR {t}.eff_to > ?)"
)


def valid(table: str, as_of: str, position: int) -> tuple[str, list[Any]]:
    """The condition for rows of ``table`` holding at ``as_of`` as known at ``position``."""
    return VALID.format(t=table), [position, position, as_of, as_of]


def contains(value: str) -> str:
    """A LIKE pattern for one ``|``-delimited value."""
    return f"%|{escaped(value)}|%"


def contains_prefix(value: str) -> str:
    """A LIKE pattern for a ``|``-delimited value starting with ``value``."""
    return f"%|{escaped(value)}%"


def listed(
    table: str, column: str, value: str, literal: str | None = None
) -> tuple[str, list[str]]:
    """The condition that ``table.column`` (a ``|a|b|`` list) holds ``value`` as one item.

    The list alone cannot say where an item holding the separator ends: ``|A|B|`` is both
    the items A and B and the one item ``A|B``. So the value must also appear whole, as a
    JSON string, in the row's document, where each item is quoted apart: ``literal`` (the
    value itself by default) is the part of it the document holds. Containment is tested
    with ``replace``, which both databases read the same way, case included (SQLite's
    ``LIKE`` ignores ASCII case, PostgreSQL's does not).
    """
    whole = json.dumps(value if literal is None else literal)
    return (
        f"replace({table}.{column}, ?, '') <> {table}.{column} "
        f"AND replace({table}.document, ?, '') <> {table}.document",
        [f"|{value}|", whole],
    )


def searchable(value: str, what: str) -> str:
    """The value normalized for matching; refused if nothing of it is left to match on,
    since an empty pattern would match everything."""
    normalized = normalize(value)
    if not normalized:
        raise InvalidValue(
            f"{what} {value!r} has no letter or digit to search for: punctuation and "
            "spaces are ignored in matching"
        )
    return normalized


@dataclass(frozen=True)
class MeasureFilter:
    authority: str | None = None
    program: str | None = None
    kind: str | None = None
    subject_kind: str | None = None
    subject_id: str | None = None


@dataclass(frozen=True)
class SubjectFilter:
    name: str | None = None
    authority: str | None = None
    program: str | None = None
    kind: str | None = None
    country: str | None = None
    reference: str | None = None
    active: bool | None = None
