"""Where the views live: tables beside the event store, written with their tracking record.

A view store is a tracking recorder of the ``eventsourcing`` library (SQLite or PostgreSQL)
extended with the views' own tables. Rows and the tracking record of the last event they
reflect are written in one transaction, so a view is updated exactly once per event even
when a projector dies half way or two projectors race. For the in-memory event store the
views live in an in-memory SQLite database of their own.

The views' SQL is written once, with ``?`` placeholders, and adapted for PostgreSQL here.
Times are stored as fixed-width ISO text in UTC, which sorts as time does in both databases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteDatastore, SQLiteFactory, SQLiteTrackingRecorder
from psycopg.sql import SQL, Identifier

from application.storage import creation_lock
from application.views.schema import (
    POSTGRES_NAME_SEARCH,
    SQLITE_NAME_SEARCH,
    SQLITE_NAME_SEARCH_BACKFILL,
    SQLITE_NAME_SEARCH_STATEMENTS,
    TABLES,
    VIEW_TABLES,
)

Row = Mapping[str, Any]


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchall(self) -> list[Row]: ...
    def fetchone(self) -> Row | None: ...


class ViewStore(Protocol):
    """The operations projectors and queries need, whatever the database."""

    projection: str

    def transaction(self, *, commit: bool, snapshot: bool = False) -> Any: ...
    def record_tracking(self, cursor: Cursor, position: int) -> None: ...
    def position(self) -> int: ...
    def reset(self) -> None: ...
    def try_lock(self, cursor: Cursor) -> bool: ...


class _SQLiteCursor:
    """The library's SQLite cursor, as the views' cursor."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.raw.executemany(sql, [tuple(r) for r in rows])

    def fetchall(self) -> list[Row]:
        return list(self.raw.fetchall())

    def fetchone(self) -> Row | None:
        row: Row | None = self.raw.fetchone()
        return row


class _PostgresCursor:
    """A psycopg cursor taking the views' ``?`` placeholders, inside the store's schema."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    @staticmethod
    def _adapt(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(self._adapt(sql), tuple(params), prepare=False)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(self._adapt(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list[Row]:
        return list(self.raw.fetchall())

    def fetchone(self) -> Row | None:
        row: Row | None = self.raw.fetchone()
        return row


class SQLiteViews(SQLiteTrackingRecorder):
    """The views in a SQLite database: the ledger's file, or memory beside a memory store."""

    projection = "ledger-views"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            *TABLES,
            *SQLITE_NAME_SEARCH_STATEMENTS,
        ]

    def _create_table(self, c: Any) -> None:
        """Create the tables, then index the names of views made before the name index."""
        super()._create_table(c)
        fill, probe = SQLITE_NAME_SEARCH_BACKFILL
        c.execute(probe)
        row = c.fetchone()
        if row["indexed"] is None and row["named"] is not None:
            c.execute(fill)

    @contextmanager
    def transaction(
        self,
        *,
        commit: bool,
        snapshot: bool = False,  # noqa: ARG002 - every WAL read transaction is a snapshot
    ) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=commit) as raw:
            yield _SQLiteCursor(raw)

    def record_tracking(self, cursor: Cursor, position: int) -> None:
        assert isinstance(cursor, _SQLiteCursor)
        self._insert_tracking(cursor.raw, Tracking(self.projection, position))

    def position(self) -> int:
        return self.max_tracking_id(self.projection) or 0

    def reset(self) -> None:
        with self.transaction(commit=True) as cursor:
            for table in VIEW_TABLES:
                cursor.execute(f"DELETE FROM {table}")
            # The name index is not one of the views (no check compares it): emptied apart.
            cursor.execute(f"DELETE FROM {SQLITE_NAME_SEARCH}")
            cursor.execute("DELETE FROM tracking WHERE application_name = ?", (self.projection,))

    def try_lock(self, cursor: Cursor) -> bool:  # noqa: ARG002 - nothing to lock
        """SQLite lets one writer in at a time; the tracking record refuses a second pass."""
        return True


class PostgresViews(PostgresTrackingRecorder):
    """The views in the PostgreSQL schema that holds the events."""

    projection = "ledger-views"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.append(SQL("SET LOCAL search_path TO {}").format(schema))
        self.sql_create_statements.extend(SQL(statement).format() for statement in TABLES)
        self.sql_create_statements.append(SQL(POSTGRES_NAME_SEARCH).format())

    def create_table(self) -> None:
        """Create the tracking and views tables under the database's creation lock: processes
        starting at once would otherwise collide in the catalog."""
        with creation_lock(self.datastore):
            super().create_table()

    @contextmanager
    def transaction(self, *, commit: bool, snapshot: bool = False) -> Iterator[Cursor]:
        """A transaction in the store's schema; with ``snapshot``, every statement in it
        reads the same committed state."""
        with self.datastore.transaction(commit=commit) as raw:
            if snapshot:
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            raw.execute(
                SQL("SET LOCAL search_path TO {}").format(Identifier(self.datastore.schema))
            )
            yield _PostgresCursor(raw)

    def record_tracking(self, cursor: Cursor, position: int) -> None:
        assert isinstance(cursor, _PostgresCursor)
        self._insert_tracking(cursor.raw, Tracking(self.projection, position))

    def position(self) -> int:
        return self.max_tracking_id(self.projection) or 0

    def reset(self) -> None:
        with self.datastore.transaction(commit=True) as raw:
            for table in VIEW_TABLES:
                raw.execute(
                    SQL("DELETE FROM {}.{}").format(
                        Identifier(self.datastore.schema), Identifier(table)
                    )
                )
            raw.execute(
                SQL("DELETE FROM {}.{} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
                ),
                (self.projection,),
            )

    def try_lock(self, cursor: Cursor) -> bool:
        """One projector at a time per schema: the others skip, and catch up later."""
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ?)) AS ok",
            (self.projection,),
        )
        row = cursor.fetchone()
        return bool(row and row["ok"])


def open_view_store(
    factory: InfrastructureFactory[Any], *, in_memory: bool = False
) -> SQLiteViews | PostgresViews:
    """The view store beside the event store the factory made, or a scratch one in memory."""
    if in_memory:
        return _memory_views()
    if isinstance(factory, SQLiteFactory):
        views: object = factory.tracking_recorder(SQLiteViews)
    elif isinstance(factory, PostgresFactory):
        views = factory.tracking_recorder(PostgresViews)
    else:
        return _memory_views()
    assert isinstance(views, (SQLiteViews, PostgresViews))
    return views


def _memory_views() -> SQLiteViews:
    memory = SQLiteDatastore(f"file:ledger-views-{uuid.uuid4().hex}?mode=memory&cache=shared")
    views = SQLiteViews(memory)
    views.create_table()
    return views


__all__ = [
    "Cursor",
    "IntegrityError",
    "PostgresViews",
    "Row",
    "SQLiteViews",
    "TrackingRecorder",
    "ViewStore",
    "open_view_store",
]
