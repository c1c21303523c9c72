"""Checking the views against a full replay of the log.

The live views are read from one snapshot; a scratch copy of the views is then projected
from the log up to the same position in memory, and the two are compared row by row. Any
row the live views hold and the replay does not (or the reverse) is a difference: a bug, a
crash that broke the exactly-once rule, or someone editing the views by hand. Views that
stopped short of the log as it stood when the check began fail it too, whatever rows they
hold: equal up to where they stopped is not equal to the log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from application.ledger import Ledger
from application.views.projector import Projector
from application.views.store import ViewStore, open_view_store

DUMP_ORDER = {
    "ledger_log": "position",
    "measure_segments": "measure_id, eff_from, rec_from",
    "profile_segments": "subject_id, eff_from, rec_from",
    "name_segments": "subject_id, eff_from, rec_from, ordinal",
    "link_segments": "link_id, eff_from, rec_from",
}


@dataclass
class TableDifference:
    only_in_views: list[tuple[Any, ...]] = field(default_factory=list)
    only_in_replay: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class CheckReport:
    position: int
    """Where the views stood: the replay is compared up to here."""
    log_position: int
    """The end of the log as the check began."""
    rows: dict[str, int]
    differences: dict[str, TableDifference]

    @property
    def behind(self) -> int:
        """How many positions the views lacked of the log as it stood when the check began;
        events recorded while the check ran are not counted."""
        return max(self.log_position - self.position, 0)

    @property
    def ok(self) -> bool:
        return not self.differences and not self.behind


def check_views(ledger: Ledger, views: ViewStore) -> CheckReport:
    log_position = ledger.last_position()
    position, live = dump(views)
    scratch = open_view_store(ledger.factory, in_memory=True)
    try:
        Projector(ledger, scratch).catch_up(until=position)
        _, replay = dump(scratch)
    finally:
        scratch.datastore.close()
    differences: dict[str, TableDifference] = {}
    for table, rows in live.items():
        have, want = Counter(rows), Counter(replay[table])
        if have != want:
            differences[table] = TableDifference(
                only_in_views=sorted((have - want).elements(), key=repr),
                only_in_replay=sorted((want - have).elements(), key=repr),
            )
    counts = {table: len(table_rows) for table, table_rows in live.items()}
    return CheckReport(position, log_position, counts, differences)


def dump(views: ViewStore) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    """Every row of every view in a fixed order, read from one snapshot, with the log
    position the snapshot reflects: for comparing two sets of views."""
    with views.transaction(commit=False, snapshot=True) as cursor:
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for table, order in DUMP_ORDER.items():
            cursor.execute(f"SELECT * FROM {table} ORDER BY {order}")
            tables[table] = [tuple(_plain(v) for v in dict(r).values()) for r in cursor.fetchall()]
        cursor.execute("SELECT MAX(position) AS p FROM ledger_log")
        row = cursor.fetchone()
    return int(row["p"] or 0) if row else 0, tables


def _plain(value: Any) -> Any:
    """Values as both databases give them back: booleans as 0/1, integers as int."""
    if isinstance(value, bool):
        return int(value)
    return value
