"""A delta compares only the entities that can differ between its two points; its entries
must be exactly those of comparing the whole list at both points, for any two points in
both times, on every store."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from application.bootstrap import Services
from application.changes import changes
from application.views.conditions import valid
from application.views.queries import Side, ViewQueries
from tests.ledger.test_incremental_projection import a_varied_ledger
from tests.support.clock import FakeClock

TABLES = {
    "measure": ("measure_segments", "measure_id", "terms_digest"),
    "subject": ("profile_segments", "subject_id", "document"),
}


def whole_list(queries: ViewQueries, entity: str, side: Side) -> dict[str, tuple[str, str]]:
    """Every entity holding at the point: the list a delta compares, read in full."""
    table, key, compared = TABLES[entity]
    condition, params = valid("t", side[0], side[1])
    sql = (
        f"SELECT t.{key} AS id, t.{compared} AS c, t.document AS d FROM {table} t WHERE {condition}"
    )
    return {row["id"]: (row["c"], row["d"]) for row in queries._rows(sql, params)}


def reference_delta(queries: ViewQueries, first: Side, second: Side) -> list[dict[str, Any]]:
    entries = []
    for entity in ("measure", "subject"):
        before, after = whole_list(queries, entity, first), whole_list(queries, entity, second)
        for ident in sorted(before.keys() | after.keys()):
            left, right = before.get(ident), after.get(ident)
            if left and right and left[0] == right[0]:
                continue
            change = "added" if left is None else "removed" if right is None else "modified"
            entries.append(
                {
                    "key": f"{entity}:{ident}",
                    "entity": entity,
                    "id": ident,
                    "change": change,
                    "before": json.loads(left[1]) if left else None,
                    "after": json.loads(right[1]) if right else None,
                }
            )
    return entries


def all_pages(queries: ViewQueries, first: Side, second: Side, limit: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while True:
        page = changes(queries, first, second, entries[-1]["key"] if entries else "", limit)
        entries.extend(page)
        if len(page) < limit:
            return entries


@pytest.mark.slow_on_postgres
def test_a_delta_between_any_two_points_is_the_whole_lists_compared(
    services: Services,
    clock: FakeClock,
) -> None:
    a_varied_ledger(services, clock, seed=11)
    services.projector.catch_up()
    queries = ViewQueries(services.views)
    last = services.ledger.last_position()
    # Points on both axes: every recorded time, and every time a row begins or ends in force
    # (a point exactly on a boundary is the case an off-by-one would get wrong).
    moments = queries._rows(
        "SELECT known_from AS t FROM ledger_log UNION SELECT eff_from FROM measure_segments "
        "UNION SELECT eff_to FROM measure_segments WHERE eff_to IS NOT NULL "
        "UNION SELECT eff_from FROM profile_segments "
        "UNION SELECT eff_to FROM profile_segments WHERE eff_to IS NOT NULL",
        [],
    )
    times = sorted({row["t"] for row in moments} | {"2099-01-01T00:00:00.000000Z"})
    draw = random.Random(5)
    for _ in range(200):
        first = (draw.choice(times), draw.randint(0, last))
        # Half the deltas are between two effective times at one recorded position, as
        # ?effective_since=&effective_until= asks.
        position = first[1] if draw.random() < 0.5 else draw.randint(0, last)
        second = (draw.choice(times), position)
        expected = reference_delta(queries, first, second)
        assert all_pages(queries, first, second, limit=1000) == expected
        assert all_pages(queries, first, second, limit=3) == expected
