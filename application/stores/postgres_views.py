"""The views in the PostgreSQL schema that holds the events: the library's tracking recorder
with the views' tables, one projector at a time per schema."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Identifier

from application.stores.postgres_sql import adapt, creation_lock
from application.views.schema import (
    INDEXES,
    KNOWN_FROM,
    POSTGRES_NAME_SEARCH,
    POSTGRES_NAME_SEARCH_INDEX,
    SET_ASIDE,
    TABLES,
    VIEW_TABLES,
)

if TYPE_CHECKING:
    from application.views.store import Cursor, Row


class _PostgresCursor:
    """A psycopg cursor taking the views' ``?`` placeholders, inside the store's schema."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        # Prepared by psycopg once a connection has run the same text a few times: the
        # views' reads are short indexed lookups, and planning them each time took twice as
        # long as running them (the four statements a name search then made: 2.3 ms of
        # planning, 1.1 ms of execution, at 5M events). PostgreSQL plans a prepared
        # statement for its parameters (a custom plan) until a generic one proves no dearer.
        self.raw.execute(adapt(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(adapt(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list[Row]:
        return list(self.raw.fetchall())

    def fetchone(self) -> Row | None:
        row: Row | None = self.raw.fetchone()
        return row


class _Held(threading.local):
    """The connection ``PostgresViews.one_connection`` holds for this thread's reads."""

    connection: Any = None


class PostgresViews(PostgresTrackingRecorder):
    """The views in the PostgreSQL schema that holds the events."""

    projection = "ledger-views"
    joined_measures: str | None = "string_agg(m.document, ',' ORDER BY m.measure_id)"
    """A page's measure documents joined in the page's own statement, in the order they are
    read apart (``ViewQueries.subject_texts_with_measures``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._readied: WeakSet[Any] = WeakSet()
        self._held = _Held()
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
        reads the same committed state.

        A read without ``snapshot`` is no transaction at all: each statement runs on its own
        (the library's connections commit each statement), one round trip each. In a
        transaction at PostgreSQL's default isolation every statement takes a snapshot of
        its own anyway, so the reads see nothing different; the transaction only cost three
        more round trips (``BEGIN``, its settings, ``ROLLBACK``), which is what most of a
        short read's time was. The settings are the connection's instead (``_ready``)."""
        if not commit and not snapshot:
            if self._held.connection is not None:
                yield _PostgresCursor(self._held.connection.cursor())
                return
            with self.datastore.get_connection() as connection:
                self._ready(connection)
                yield _PostgresCursor(connection.cursor())
            return
        with self.datastore.transaction(commit=commit) as raw:
            if snapshot:
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            # JIT compilation pays for long analytical queries, not for the views' short
            # indexed reads: on 5M events it added from 25 ms to a second to reads of a few ms.
            raw.execute(
                SQL("SET LOCAL search_path TO {}; SET LOCAL jit = off").format(
                    Identifier(self.datastore.schema)
                )
            )
            yield _PostgresCursor(raw)

    @contextmanager
    def one_connection(self) -> Iterator[None]:
        """Every read without a snapshot that this thread makes inside, on one connection of
        the pool. A page of a name search reads twice (its read point, then the page with the
        subjects the trigram index proposes and their measures), and taking a connection from
        the pool and giving it back cost about as much of the interpreter's time as a
        statement's own round trip. Each statement still commits on its own, so the reads
        see what they would see apart."""
        if self._held.connection is not None:
            yield
            return
        with self.datastore.get_connection() as connection:
            self._ready(connection)
            self._held.connection = connection
            try:
                yield
            finally:
                self._held.connection = None

    def _ready(self, connection: Any) -> None:
        """The store's schema and no JIT (see ``transaction``) for the connection's session,
        set once per connection of the pool. The library's own statements name their schema,
        so they read the same either way."""
        if connection in self._readied:
            return
        connection.execute(
            SQL("SET search_path TO {}; SET jit = off").format(Identifier(self.datastore.schema))
        )
        self._readied.add(connection)

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

    def set_aside_indexes(self) -> None:
        """Drop the indexes a rebuild need not keep in step row by row, the names' trigram
        index among them (``application.views.schema.SET_ASIDE``)."""
        with self.datastore.transaction(commit=True) as raw:
            for name in (*SET_ASIDE, POSTGRES_NAME_SEARCH_INDEX):
                raw.execute(
                    SQL("DROP INDEX IF EXISTS {}.{}").format(
                        Identifier(self.datastore.schema), Identifier(name)
                    )
                )

    def restore_indexes(self) -> None:
        """Build again what ``set_aside_indexes`` dropped, each in one pass over its table."""
        with creation_lock(self.datastore), self.datastore.transaction(commit=True) as raw:
            raw.execute(
                SQL("SET LOCAL search_path TO {}; SET LOCAL maintenance_work_mem = '256MB'").format(
                    Identifier(self.datastore.schema)
                )
            )
            for statement in (*INDEXES, POSTGRES_NAME_SEARCH):
                raw.execute(SQL(statement).format())

    def try_lock(self, cursor: Cursor) -> bool:
        """One projector at a time per schema: the others skip, and catch up later."""
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ?)) AS ok",
            (self.projection,),
        )
        row = cursor.fetchone()
        return bool(row and row["ok"])

    # A rebuild split between processes (``application.views.split_rebuild``) ----------------

    @property
    def splits(self) -> bool:
        return True

    @contextmanager
    def part_places(self, parts: int) -> Iterator[list[str]]:
        """A scratch schema for each part, in the views' database, dropped afterwards. A
        process killed leaves them (``ledger_rebuild_*``)."""
        token = secrets.token_hex(4)
        places = [f"ledger_rebuild_{token}_{number}" for number in range(parts)]
        with self.datastore.transaction(commit=True) as raw:
            for place in places:
                raw.execute(SQL("CREATE SCHEMA {}").format(Identifier(place)))
        try:
            yield places
        finally:
            with self.datastore.transaction(commit=True) as raw:
                for place in places:
                    raw.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(place)))

    @staticmethod
    def part_views(env: Mapping[str, str], place: str) -> PostgresViews:
        factory = InfrastructureFactory[Any].construct(
            Environment(env={**env, "POSTGRES_SCHEMA": place})
        )
        views: object = factory.tracking_recorder(PostgresViews)
        assert isinstance(views, PostgresViews)
        views.create_table()
        views.set_aside_indexes()
        return views

    def take_parts(self, places: Sequence[str], until: int) -> None:
        """Replace the views' rows with those of the parts' schemas in one transaction, at
        position ``until``. Readers go on seeing the views as they were until it commits.
        It first waits for the projectors' lock (``try_lock``): a projector of another
        process could otherwise commit rows the deletion does not see, which would outlive
        the swap beside the parts' own."""
        schema = Identifier(self.datastore.schema)
        with self.datastore.transaction(commit=True) as raw:
            raw.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s || %s))",
                (self.datastore.schema, self.projection),
            )
            for table in VIEW_TABLES:
                raw.execute(SQL("DELETE FROM {}.{}").format(schema, Identifier(table)))
            for table in VIEW_TABLES:
                raw.execute(_COLUMNS, (self.datastore.schema, table))
                columns = SQL(", ").join(Identifier(row["column_name"]) for row in raw.fetchall())
                for place in places:
                    raw.execute(
                        SQL("INSERT INTO {}.{} ({}) SELECT {} FROM {}.{}").format(
                            schema,
                            Identifier(table),
                            columns,
                            columns,
                            Identifier(place),
                            Identifier(table),
                        )
                    )
            raw.execute(SQL("SET LOCAL search_path TO {}").format(schema))
            raw.execute(KNOWN_FROM)
            tracking = Identifier(self.tracking_table_name)
            raw.execute(
                SQL("DELETE FROM {}.{} WHERE application_name = %s").format(schema, tracking),
                (self.projection,),
            )
            raw.execute(
                SQL("INSERT INTO {}.{} (application_name, notification_id) VALUES (%s, %s)").format(
                    schema, tracking
                ),
                (self.projection, until),
            )


_COLUMNS = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"
)
