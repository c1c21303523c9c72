"""The events' table reached straight through SQL, as an intruder who owns the database
reaches it: its rows read, rewritten, renumbered and put back, bytes flipped, and the
positions ``verify`` reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from application.bootstrap import Services
from application.proofs.verification import Report


@dataclass(frozen=True)
class Record:
    """One row of the events' table, its values as the database holds them."""

    position: int
    originator_id: Any
    version: int
    topic: str
    state: bytes


class Table:
    """The events' table, reached straight through SQL."""

    def __init__(self, services: Services) -> None:
        recorder: Any = services.ledger.recorder
        self.tables = services.ledger.merkle.tables
        self.kind = services.ledger.store.name
        self.name = str(recorder.events_table_name)
        self.position = "rowid"
        if self.kind == "postgres":
            self.name = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
            self.position = "notification_id"

    def records(self) -> list[Record]:
        with self.tables.transaction(commit=False) as statements:
            statements.execute(
                f"SELECT {self.position} AS position, originator_id, originator_version, "
                f"topic, state FROM {self.name} ORDER BY {self.position}"
            )
            rows = statements.fetchall()
        return [
            Record(
                int(row["position"]),
                row["originator_id"],
                int(row["originator_version"]),
                str(row["topic"]),
                bytes(row["state"]),
            )
            for row in rows
        ]

    def update(self, records: Sequence[Record]) -> None:
        """Write the records' topics and states over those at their positions."""
        with self.tables.transaction(commit=True) as statements:
            statements.executemany(
                f"UPDATE {self.name} SET topic = ?, state = ? WHERE {self.position} = ?",
                [(record.topic, record.state, record.position) for record in records],
            )

    def replace(self, old: Sequence[Record], new: Sequence[Record]) -> None:
        """Take the rows ``old`` out and put ``new`` in, in one transaction: any column of a
        row may change, its position too, and no constraint sees a half-done change."""
        with self.tables.transaction(commit=True) as statements:
            statements.executemany(
                f"DELETE FROM {self.name} WHERE {self.position} = ?",
                [(record.position,) for record in old],
            )
            statements.executemany(
                f"INSERT INTO {self.name} ({self.position}, originator_id, originator_version, "
                "topic, state) VALUES (?, ?, ?, ?, ?)",
                [(r.position, r.originator_id, r.version, r.topic, r.state) for r in new],
            )

    def rewrite(self, old: Sequence[Record], new: Sequence[Record]) -> None:
        """``replace``, or where every row keeps its position, id and version, the cheaper
        update of topics and states in place."""
        keys = [(r.position, r.originator_id, r.version) for r in old]
        if keys == [(r.position, r.originator_id, r.version) for r in new]:
            self.update(new)
        else:
            self.replace(old, new)

    def renumber_after(self, position: int, by: int) -> None:
        """Move every record after ``position`` by ``by`` places, as an insertion would."""
        with self.tables.transaction(commit=True) as statements:
            statements.execute(
                f"UPDATE {self.name} SET {self.position} = -({self.position} + ?) "
                f"WHERE {self.position} > ?",
                [by, position],
            )
            statements.execute(
                f"UPDATE {self.name} SET {self.position} = -{self.position} "
                f"WHERE {self.position} < 0"
            )

    def drop_primary_key(self) -> None:
        """Let a stream hold one version twice, as an intruder who owns the database can."""
        with self.tables.transaction(commit=True) as statements:
            if self.kind == "postgres":
                bare = self.name.rsplit(".", 1)[1]
                statements.execute(f"ALTER TABLE {self.name} DROP CONSTRAINT {bare}_pkey")
                return
            columns = "originator_id, originator_version, topic, state"
            statements.execute(f"ALTER TABLE {self.name} RENAME TO tampered_events")
            statements.execute(
                f"CREATE TABLE {self.name} (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB)"
            )
            statements.execute(
                f"INSERT INTO {self.name} (rowid, {columns}) "
                f"SELECT rowid, {columns} FROM tampered_events"
            )
            statements.execute("DROP TABLE tampered_events")


@dataclass
class Tampered:
    services: Services
    table: Table
    original: list[Record]

    def verify(self) -> Report:
        return self.services.proofs.verify()

    def restore(self) -> None:
        self.table.replace(self.table.records(), self.original)
        assert self.table.records() == self.original
        assert self.verify().ok


def flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


def flip_int(value: int, at: int) -> int:
    """The integer with bit 0 of its ``at``-th byte (of eight, little end first) flipped."""
    return value ^ (1 << (8 * at))


def problem_positions(report: Report) -> set[int]:
    assert len(report.problems) == report.problem_count
    return {problem.position for problem in report.problems if problem.position is not None}
