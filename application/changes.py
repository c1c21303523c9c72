"""What changed between two points in time, one entry per measure or subject.

A delta compares the ledger's answer at two read points, the way a list publisher's delta
file compares two publications: a measure in force at the second point and not the first is
``added``, the reverse ``removed``, and one in force at both with other terms ``modified``; a
subject whose profile reads differently is ``modified`` (``added`` when the ledger did not
know it yet at the first point). Between two recorded times each side reads at its own time;
between two effective dates both sides read at the same recorded position.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from application.views.links import changed_links, linked_rows
from application.views.queries import Side, ViewQueries
from domain.errors import InvalidValue
from domain.text import check_text

CHUNK = 100
"""How many candidate subjects are compared per query of each side."""

SUBJECT_ID_LENGTH = 36
"""A subject id as the views hold it (a UUID's text). A measure id is its subject's id, a dot
and a number, so measure ids sort by their subject first: walking subjects in order walks
their measures in order too."""


def changes(
    queries: ViewQueries, first: Side, second: Side, after: str, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` change entries after the entry key ``after`` ("" for the start).

    Keys are ``link:<id>``, then ``measure:<id>``, then ``subject:<id>``, so a cursor
    continues across all three. Only the subjects that can read differently at the two
    points are compared (``ViewQueries.changed_subjects``), a chunk at a time, until the page
    is full. A link is ``added`` where a pair became linked, ``removed`` where it was
    unlinked (its document names both subjects and the decision)."""
    entries: list[dict[str, Any]] = []
    for entity in ("link", "measure", "subject"):
        prefix = f"{entity}:"
        if after and not after.startswith(prefix) and after > prefix:
            continue
        start = after.removeprefix(prefix) if after.startswith(prefix) else ""
        candidates = _candidates(queries, entity, first, second, start)
        for offset in range(0, len(candidates), CHUNK):
            subjects = candidates[offset : offset + CHUNK]
            before = _side(queries, entity, first, subjects)
            now = _side(queries, entity, second, subjects)
            ids = sorted(ident for ident in before.keys() | now.keys() if ident > start)
            for entry in _compared(entity, ids, before, now):
                entries.append(entry)
                if len(entries) == limit:
                    return entries
    return entries


def _candidates(
    queries: ViewQueries, entity: str, first: Side, second: Side, start: str
) -> list[str]:
    """Links by their own ids; measures and subjects by their subjects' ids."""
    if entity == "link":
        return changed_links(queries.views, first, second, start)
    return queries.changed_subjects(first, second, start[:SUBJECT_ID_LENGTH])


def _side(
    queries: ViewQueries, entity: str, side: Side, ids: list[str]
) -> dict[str, tuple[str, str]]:
    if entity == "link":
        return linked_rows(queries.views, side, ids)
    return queries.delta_rows(entity, side, ids)


def _compared(
    entity: str,
    ids: list[str],
    before: dict[str, tuple[str, str]],
    after: dict[str, tuple[str, str]],
) -> Iterator[dict[str, Any]]:
    """The differences of each id between the two sides, in the ids' order."""
    for ident in ids:
        left, right = before.get(ident), after.get(ident)
        if left is None and right is not None:
            yield _entry(entity, ident, "added", None, right[1])
        elif right is None and left is not None:
            yield _entry(entity, ident, "removed", left[1], None)
        elif left is not None and right is not None and left[0] != right[0]:
            yield _entry(entity, ident, "modified", left[1], right[1])


def _entry(
    entity: str, ident: str, change: str, before: str | None, after: str | None
) -> dict[str, Any]:
    return {
        "key": f"{entity}:{ident}",
        "entity": entity,
        "id": ident,
        "change": change,
        "before": None if before is None else json.loads(before),
        "after": None if after is None else json.loads(after),
    }


def delta_cursor(after: str, first: dict[str, Any], second: dict[str, Any]) -> str:
    """A cursor pinning both sides of a delta, so that its pages stay one delta."""
    state = {"after": after, "since": first, "until": second}
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def read_delta_cursor(cursor: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after, first, second = state["after"], state["since"], state["until"]
    except (ValueError, KeyError, TypeError):
        raise InvalidValue(f"cursor {cursor!r} is not one this API gave out") from None
    if not (isinstance(after, str) and isinstance(first, dict) and isinstance(second, dict)):
        raise InvalidValue(f"cursor {cursor!r} is not one this API gave out")
    check_text(after, "the cursor")
    return after, first, second
