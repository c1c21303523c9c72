"""The views in a SQLite database: the ledger's file, or memory beside a memory store. The
library's tracking recorder with the views' tables; and, for a rebuild split between
processes (``application.views.split_rebuild``), the swap of the parts' rows for the views'."""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteTrackingRecorder

from application.stores.sqlite_datastore import ScratchDatastore
from application.views.schema import (
    INDEXES,
    KNOWN_FROM,
    SET_ASIDE,
    SQLITE_NAME_SEARCH,
    SQLITE_NAME_SEARCH_LIVE,
    SQLITE_NAME_SEARCH_REFILL,
    SQLITE_NAME_SEARCH_STATEMENTS,
    SQLITE_NAME_SEARCH_TABLE,
    SQLITE_NAME_SEARCH_TRIGGERS,
    TABLES,
    VIEW_TABLES,
)

if TYPE_CHECKING:
    from application.views.store import Cursor, Row

LOCK_SECONDS = 30.0
"""How long the swap of a split rebuild waits for another writer of the file to finish."""


def names_indexed(cursor: Any) -> bool:
    """Whether the name index holds every name row: its triggers stand
    (``schema.SQLITE_NAME_SEARCH_LIVE``)."""
    cursor.execute(SQLITE_NAME_SEARCH_LIVE)
    return int(cursor.fetchone()[0]) == len(SQLITE_NAME_SEARCH_TRIGGERS)


class _SQLiteCursor:
    """The library's SQLite cursor, as the views' cursor."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.raw.executemany(sql, rows)  # lists and tuples alike: no copy of each row

    def fetchall(self) -> list[Row]:
        return list(self.raw.fetchall())

    def fetchone(self) -> Row | None:
        row: Row | None = self.raw.fetchone()
        return row


class SQLiteViews(SQLiteTrackingRecorder):
    """The views in a SQLite database: the ledger's file, or memory beside a memory store."""

    projection = "ledger-views"
    joined_measures: str | None = None
    """SQLite before 3.44 joins an aggregate's text in no order it promises: a page's
    measures are read by a statement of their own (a round trip costs nothing in process)."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *TABLES,
            *SQLITE_NAME_SEARCH_STATEMENTS,
        ]

    def _create_table(self, c: Any) -> None:
        """Create the tables; where the name index's triggers were missing (views made
        before the index, or a rebuild that set them aside and stopped half way or is still
        running), index every name again with them, as they would have."""
        kept = names_indexed(c)
        super()._create_table(c)
        if not kept:
            for statement in SQLITE_NAME_SEARCH_REFILL:
                c.execute(statement)

    @contextmanager
    def transaction(
        self,
        *,
        commit: bool,
        snapshot: bool = False,  # noqa: ARG002 - every WAL read transaction is a snapshot
    ) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=commit) as raw:
            yield _SQLiteCursor(raw)

    @contextmanager
    def one_connection(self) -> Iterator[None]:
        """Reads of the same file in the same process: a connection from the pool costs
        next to nothing here, so each read keeps taking its own."""
        yield

    def record_tracking(self, cursor: Cursor, position: int) -> None:
        assert isinstance(cursor, _SQLiteCursor)
        self._insert_tracking(cursor.raw, Tracking(self.projection, position))

    def position(self) -> int:
        return self.max_tracking_id(self.projection) or 0

    def reset(self) -> None:
        with self.transaction(commit=True) as cursor:
            for table in VIEW_TABLES:
                cursor.execute(f"DELETE FROM {table}")
            # The name index is not one of the views (no check compares it): emptied apart,
            # made anew rather than its rows deleted one by one.
            cursor.execute(f"DROP TABLE IF EXISTS {SQLITE_NAME_SEARCH}")
            cursor.execute(SQLITE_NAME_SEARCH_TABLE)
            cursor.execute("DELETE FROM tracking WHERE application_name = ?", (self.projection,))

    def set_aside_indexes(self) -> None:
        """Drop the indexes a rebuild need not keep in step row by row, and the name index's
        triggers (``application.views.schema.SET_ASIDE``)."""
        with self.transaction(commit=True) as cursor:
            for name in SET_ASIDE:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            for trigger in SQLITE_NAME_SEARCH_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")

    def restore_indexes(self) -> None:
        """Build again what ``set_aside_indexes`` dropped, each in one pass over its table:
        each index in a transaction of its own (the file has one writer at a time, and the
        ledger's writes wait for each), then every name indexed and the triggers made again
        in one, so that no name is written between the two."""
        for statement in INDEXES:
            with self.transaction(commit=True) as cursor:
                cursor.execute(statement)
        with self.transaction(commit=True) as cursor:
            if not names_indexed(cursor):  # a split rebuild's swap indexed them already
                for statement in SQLITE_NAME_SEARCH_REFILL:
                    cursor.execute(statement)

    def try_lock(self, cursor: Cursor) -> bool:  # noqa: ARG002 - nothing to lock
        """SQLite lets one writer in at a time; the tracking record refuses a second pass."""
        return True

    @property
    def file(self) -> str | None:
        """The database file the views are in; None in memory."""
        name = str(self.datastore.pool.db_name)
        return None if ":memory:" in name or "mode=memory" in name else name

    # A rebuild split between processes (``application.views.split_rebuild``) ----------------

    @property
    def splits(self) -> bool:
        return self.file is not None

    @contextmanager
    def part_places(self, parts: int) -> Iterator[list[str]]:
        """A scratch file for each part, in a folder beside the views' file: the parts' rows
        take about as much room as the views, which the file's disk holds, where a temporary
        folder in memory might not. A process killed leaves the folder
        (``.ledger-rebuild-*``)."""
        assert self.file is not None, "views in memory have no parts"
        beside = Path(self.file).parent
        with tempfile.TemporaryDirectory(prefix=".ledger-rebuild-", dir=beside) as folder:
            yield [str(Path(folder) / f"part-{number}.db") for number in range(parts)]

    @staticmethod
    def part_views(env: Mapping[str, str], place: str) -> SQLiteViews:  # noqa: ARG004 - the file says all
        views = SQLiteViews(ScratchDatastore(place))
        views.create_table()
        views.set_aside_indexes()
        return views

    def take_parts(self, places: Sequence[str], until: int) -> None:
        """Replace the views' rows with those of the parts' files in one transaction, at
        position ``until``."""
        assert self.file is not None, "views in memory have no parts"
        connection = sqlite3.connect(
            self.file, uri=True, isolation_level=None, timeout=LOCK_SECONDS
        )
        try:
            for number, place in enumerate(places):
                connection.execute(f"ATTACH DATABASE ? AS part{number}", (place,))
            connection.execute("BEGIN IMMEDIATE")
            try:
                self._copy_parts(connection, len(places), until)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            for number in range(len(places)):
                connection.execute(f"DETACH DATABASE part{number}")
        finally:
            connection.close()

    def _copy_parts(self, connection: sqlite3.Connection, parts: int, until: int) -> None:
        for table in VIEW_TABLES:
            connection.execute(f"DELETE FROM main.{table}")
        for table in VIEW_TABLES:
            connection.execute(_merged_insert(connection, table, parts))
        connection.execute(KNOWN_FROM)
        connection.execute(
            "DELETE FROM main.tracking WHERE application_name = ?", (self.projection,)
        )
        connection.execute(
            "INSERT INTO main.tracking (application_name, notification_id) VALUES (?, ?)",
            (self.projection, until),
        )
        # The names indexed in the same transaction: a search between the swap and the end
        # of the rebuild finds the new names. (Unqualified, each name means main's table.)
        for statement in SQLITE_NAME_SEARCH_REFILL:
            connection.execute(statement)


def _merged_insert(connection: sqlite3.Connection, table: str, parts: int) -> str:
    """The statement copying every part's rows of ``table`` into the main database's, in
    the order of its primary key: each part's rows come in that order, but the parts' rows
    interleave, and inserting them part after part put the second part's keys all over the
    key's index (a page split at nearly every row) where in order each lands at its end."""
    info = connection.execute(f"SELECT name, pk FROM pragma_table_info('{table}')").fetchall()
    columns = ", ".join(name for name, _ in info)
    key = ", ".join(name for name, pk in sorted(info, key=lambda row: row[1]) if pk)
    parts_rows = " UNION ALL ".join(
        f"SELECT {columns} FROM part{number}.{table}" for number in range(parts)
    )
    rows = f"SELECT {columns} FROM ({parts_rows}) ORDER BY {key}"
    return f"INSERT INTO main.{table} ({columns}) {rows}"
