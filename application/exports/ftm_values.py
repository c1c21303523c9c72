"""Putting the ledger's values into FollowTheMoney properties, cleaned by FtM itself.

Every value goes through the property type's own cleaning (``EntityProxy.unsafe_add`` with
``cleaned=False``), so what an entity holds is exactly what ``followthemoney`` would make of
the value: a country name becomes its code, a phone number its E.164 form, a midnight
timestamp its date. A value FtM cannot read as its type is never written as if it could:
it goes to the entity's ``notes`` (as ``label: value``) where the schema has them, and is
left out otherwise, so an export never holds an invalid property.
"""

from __future__ import annotations

from collections.abc import Iterable

from followthemoney.proxy import EntityProxy

ENTITY_PREFIX = "ledger-"
"""Every entity id of an export starts so: OpenSanctions' tools merge many sources, and a
prefix keeps the ledger's ids apart from theirs."""


def entity_id(*parts: str) -> str:
    """A stable entity id: the prefix and the ledger's own ids, joined by ``-``."""
    return ENTITY_PREFIX + "-".join(parts)


def put(proxy: EntityProxy, prop: str, value: str | None) -> bool:
    """Add ``value`` to ``prop`` as FtM cleans it; whether it was taken: the schema has the
    property, FtM could read the value as its type, and the cleaned value passes FtM's
    validation (cleaning alone lets through, say, an identifier longer than its type
    allows) and fits the property's length."""
    found = proxy.schema.get(prop)
    if value is None or found is None or found.stub:
        return False
    cleaned = found.type.clean_text(value.strip(), format=found.format, proxy=proxy)
    if not cleaned or len(cleaned) > found.max_length or not found.type.validate(cleaned):
        return False
    return proxy.unsafe_add(found, cleaned, cleaned=True) is not None


def put_all(proxy: EntityProxy, prop: str, values: Iterable[str]) -> None:
    for value in values:
        put(proxy, prop, value)


def put_or_note(proxy: EntityProxy, prop: str, value: str, label: str) -> None:
    """``put``, or, where the value does not fit the property, a note that says it."""
    if not put(proxy, prop, value):
        note(proxy, label, value)


def note(proxy: EntityProxy, label: str, value: str) -> None:
    put(proxy, "notes", f"{label}: {value}")


def moment(text: str | None) -> str | None:
    """An ISO timestamp of the ledger as FtM dates write it: the date alone at midnight UTC
    (how sources date a measure), the time in UTC otherwise."""
    if text is None:
        return None
    if text.endswith("T00:00:00Z"):
        return text.removesuffix("T00:00:00Z")
    return text.removesuffix("Z")


MAX_RANGE_YEARS = 10


def birth_dates(value: str) -> list[str]:
    """A recorded date of birth as FtM dates: ``~1960`` (circa) as ``1960``, and a range
    ``1960/1962`` as each of its years (a screening tool compares years one by one), or its
    two ends where the range is wide."""
    value = value.removeprefix("~")
    start, _, end = value.partition("/")
    if not end:
        return [value]
    if start.isdigit() and end.isdigit() and 0 <= int(end) - int(start) <= MAX_RANGE_YEARS:
        return [str(year) for year in range(int(start), int(end) + 1)]
    return [start, end]
