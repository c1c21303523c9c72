"""Where the log's transactions begin and end, so that no read shows half of one.

One write (an action of many changes, a whole publication) stores many events in one
transaction: the ledger knew all of them at once, or none. A read point in recorded time
(``known_at=position:N``, a timestamp, or the views' own position while they catch up) may
fall between two events of one transaction; the ledger then answers as of the end of the
transaction before it, a state that really was.

The library keeps no trace of transactions, so the ledger's recorders add one in the very
transaction that stores the events: a row ``(first_position, last_position)`` for each write
of two or more events (a single event is its own transaction). Logs written before this row
existed have none, and every position in them counts as a boundary.

One database transaction may hold several writes (a group commit, see
``application.group_commit``): each write still gets its own row, over its own consecutive
positions, so a read may stop between two writes of one transaction (the state after the
first really was, since the second was checked on it) but never inside one.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier

TABLE = "ledger_commits"
SQLITE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "last_position INTEGER PRIMARY KEY, first_position INTEGER NOT NULL)"
)
SQLITE_INSERT = f"INSERT INTO {TABLE} (last_position, first_position) VALUES (?, ?)"
SQLITE_SELECT = (
    f"SELECT first_position FROM {TABLE} WHERE last_position > ? ORDER BY last_position LIMIT 1"
)


def postgres_ddl(schema: str) -> Composed:
    return SQL(
        "CREATE TABLE IF NOT EXISTS {}.{} ("
        "last_position bigint PRIMARY KEY, first_position bigint NOT NULL)"
    ).format(Identifier(schema), Identifier(TABLE))


def postgres_insert(schema: str) -> Composed:
    return SQL("INSERT INTO {}.{} (last_position, first_position) VALUES (%s, %s)").format(
        Identifier(schema), Identifier(TABLE)
    )


def postgres_select(schema: str) -> Composed:
    return SQL(
        "SELECT first_position FROM {}.{} WHERE last_position > %s ORDER BY last_position LIMIT 1"
    ).format(Identifier(schema), Identifier(TABLE))


def span(positions: Sequence[int] | None) -> tuple[int, int] | None:
    """The (last, first) row to record for a write's positions, if it needs one."""
    if not positions or len(positions) < 2:
        return None
    return max(positions), min(positions)


def spans(positions: Sequence[int], sizes: Sequence[int]) -> list[tuple[int, int]]:
    """The rows to record for consecutive writes of ``sizes`` events each, stored at
    ``positions`` in order; writes past the positions given were not stored."""
    rows: list[tuple[int, int]] = []
    start = 0
    for size in sizes:
        recorded = span(positions[start : start + size])
        if recorded is not None:
            rows.append(recorded)
        start += size
    return rows


def boundary(position: int, first_of_next: int | None) -> int:
    """``position`` itself, or the end of the transaction before, if ``position`` falls
    inside the transaction that starts at ``first_of_next``."""
    if first_of_next is not None and first_of_next <= position:
        return first_of_next - 1
    return position


class Boundaries(Protocol):
    def at_or_before(self, position: int) -> int:
        """The last transaction boundary at or before ``position``."""
        ...


class SQLiteBoundaries:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.recorder = recorder

    def at_or_before(self, position: int) -> int:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(SQLITE_SELECT, (position,))
            row = cursor.fetchone()
        return boundary(position, None if row is None else int(row[0]))


class PostgresBoundaries:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.recorder = recorder
        self.statement = postgres_select(recorder.datastore.schema)

    def at_or_before(self, position: int) -> int:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statement, (position,))
            row: Any = cursor.fetchone()
        return boundary(position, None if row is None else int(row["first_position"]))


class MemoryCommits:
    """The in-memory store's transactions, kept by its recorder as they happen."""

    def __init__(self) -> None:
        self.lasts: list[int] = []
        self.firsts: list[int] = []

    def record(self, rows: Sequence[tuple[int, int]]) -> None:
        """Keep the (last, first) rows of one transaction's writes, in log order."""
        for last, first in rows:
            self.lasts.append(last)
            self.firsts.append(first)

    def at_or_before(self, position: int) -> int:
        index = bisect.bisect_right(self.lasts, position)
        return boundary(position, self.firsts[index] if index < len(self.lasts) else None)


def boundaries(recorder: ApplicationRecorder) -> Boundaries:
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteBoundaries(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresBoundaries(recorder)
    commits = getattr(recorder, "commits", None)
    if isinstance(commits, MemoryCommits):
        return commits
    raise TypeError(f"no transaction boundaries for a {type(recorder).__name__}")
