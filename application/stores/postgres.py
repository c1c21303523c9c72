"""The PostgreSQL store: one schema holds the events, the views and the service's own tables,
shared by every process of a deployment.

``postgresql://user:password@host:port/dbname?schema=name``; parts the URL leaves out fall
back to the usual ``PG*`` variables. Many processes start, write and create tables at once
here, which is what most of this module is about.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    InterfaceError,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Composed, Identifier

from application import commits, recorders
from application.tables import Tables
from application.views.schema import POSTGRES_NAME_SEARCH, TABLES, VIEW_TABLES
from domain.errors import InvalidValue

if TYPE_CHECKING:
    from application.views.store import Cursor, Row

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


# Creating tables ----------------------------------------------------------------------------

CREATION_LOCK = "sanctions-ledger: creating tables"
"""The advisory lock every process of the ledger holds while it creates tables. Advisory
locks belong to one database, so processes on other databases never wait for each other."""


@contextmanager
def creation_lock(datastore: PostgresDatastore) -> Iterator[None]:
    """Hold the database's table-creation lock for the duration of the block.

    ``CREATE ... IF NOT EXISTS`` is not safe to run side by side: two processes starting at
    once on an empty database collide in PostgreSQL's catalog ("tuple concurrently updated",
    a duplicate type or index) and one of them dies. Each creation runs under this lock
    instead, which the second process waits for and then finds everything already made.

    The lock is a session lock on a connection of its own, not one of the pool's: the
    creation itself runs on the pool's connections, in transactions of the library's making,
    and must not wait for a connection this lock holds. Closing the connection releases the
    lock, also when the process dies half way; normal operation never takes it.
    """
    with _dedicated_connection(datastore) as connection:
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (CREATION_LOCK,))
        yield


def _dedicated_connection(datastore: PostgresDatastore) -> psycopg.Connection[object]:
    """A connection beside the datastore's pool, to the same server as the same user."""
    pool = datastore.pool
    # psycopg_pool takes either the values or a function giving them at each connection.
    conninfo = pool.conninfo() if callable(pool.conninfo) else pool.conninfo
    kwargs = pool.kwargs() if callable(pool.kwargs) else pool.kwargs
    settings = {k: v for k, v in (kwargs or {}).items() if k != "row_factory"}
    return psycopg.connect(
        conninfo, autocommit=True, connect_timeout=max(1, round(pool.timeout)), **settings
    )


# The SQL dialect ----------------------------------------------------------------------------


def adapt(sql: str) -> str:
    """SQL written with SQLite's ``?`` placeholders, for psycopg: its ``%`` placeholders,
    and every literal ``%`` doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


def qualified(schema: str, table: str) -> str:
    """A table's name in the store's schema, quoted as an identifier."""
    return SQL("{}.{}").format(Identifier(schema), Identifier(table)).as_string(None)


class PostgresDialect:
    """The ledger's SQL, written in SQLite's dialect, spoken in one PostgreSQL schema."""

    name: Literal["postgres"] = "postgres"
    column_types: Mapping[str, str] = {"REAL": "DOUBLE PRECISION", "BLOB": "BYTEA"}

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def adapt(self, sql: str) -> str:
        return adapt(sql)

    def table(self, name: str) -> str:
        return qualified(self.datastore.schema, name)

    def cursor(self, cursor: Any) -> Any:
        return cursor

    def creation_lock(self) -> AbstractContextManager[None]:
        return creation_lock(self.datastore)


# The events' recorder -----------------------------------------------------------------------

INSERT_CHUNK = 1000
PROGRESS = "insert_progress"
INSERT_ATTEMPTS = 5
INSERT_RETRY_WAIT = 0.2
# The library's own save, without the library's retries around it (see ``insert_events``).
# No fallback to the decorated one: a library that stopped exposing it must fail loudly here,
# not quietly try a commit of unknown outcome again.
_library_insert_events: Callable[..., Sequence[int] | None] = (
    PostgresApplicationRecorder.insert_events.__wrapped__
)


def commits_ddl(schema: str) -> Composed:
    return SQL(
        "CREATE TABLE IF NOT EXISTS {}.{} ("
        "last_position bigint PRIMARY KEY, first_position bigint NOT NULL)"
    ).format(Identifier(schema), Identifier(commits.TABLE))


def commits_insert(schema: str) -> Composed:
    return SQL("INSERT INTO {}.{} (last_position, first_position) VALUES (%s, %s)").format(
        Identifier(schema), Identifier(commits.TABLE)
    )


def commits_select(schema: str) -> Composed:
    return SQL(
        "SELECT first_position FROM {}.{} WHERE last_position > %s ORDER BY last_position LIMIT 1"
    ).format(Identifier(schema), Identifier(commits.TABLE))


class _Progress:
    """How far one attempt of a save got: whether its commit may have been sent."""

    committing = False


def _committing(kwargs: dict[str, Any]) -> None:
    progress: _Progress | None = kwargs.get(PROGRESS)
    if progress is not None:
        progress.committing = True


class PostgresHookedRecorder(PostgresApplicationRecorder):
    """The hook runs in the library's ``_insert_events`` step, which shares the insert's
    transaction and, unlike the steps after the insert, lets an exception roll it back."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.append(commits_ddl(self.datastore.schema))
        self.insert_commit_statement = commits_insert(self.datastore.schema)

    def create_table(self) -> None:
        """Create the tables under the database's creation lock: processes starting at once
        would otherwise collide in the catalog (see ``creation_lock``)."""
        with creation_lock(self.datastore):
            super().create_table()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Store the events, trying again only where that cannot store them twice.

        The library tries a failed save again whatever the failure; but a connection lost
        while the transaction commits leaves its outcome unknown, and a second attempt of a
        save that was in fact stored meets its own events as a conflict, which the ledger
        takes for another writer's and redoes the command. So a save is tried again only if
        it failed before its commit was sent (a connection the restarted server had closed,
        a pool that had none to give); otherwise the error goes up, to answer ``503``.
        """
        kwargs = recorders.with_shares(kwargs, len(stored_events))
        for attempt in range(1, INSERT_ATTEMPTS + 1):
            progress = _Progress()
            try:
                ids: Sequence[int] | None = _library_insert_events(
                    self, stored_events, **kwargs, **{PROGRESS: progress}
                )
            except (InterfaceError, OperationalError):
                if progress.committing or attempt == INSERT_ATTEMPTS:
                    raise
                time.sleep(INSERT_RETRY_WAIT * attempt)
            else:
                recorders.raise_refusal(kwargs, ids)
                return ids
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        if self.datastore.enable_db_functions:
            raise RuntimeError("POSTGRES_ENABLE_DB_FUNCTIONS skips the hooks; do not set it")
        recorders.shares_of(kwargs).run_hooks(curs)
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Insert in chunks: the library sends all of a save's events as one array parameter
        of one statement, and in pipeline mode a save of some 16,000 events or more never
        returns (the server and the client each wait for the other). A publication's import
        saves tens of thousands of events in one transaction. Only the events of the writes
        whose hooks passed are inserted (see ``Shares``)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        stored_events = stored_events[: recorders.shares_of(kwargs).kept]
        chunks = [
            (
                [
                    self.construct_pg_stored_event(
                        e.originator_id, e.originator_version, e.topic, e.state
                    )
                    for e in stored_events[start : start + INSERT_CHUNK]
                ],
            )
            for start in range(0, len(stored_events), INSERT_CHUNK)
        ]
        curs.executemany(self.insert_events_statement, chunks, returning=True)

    def _fetch_ids_after_insert_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],  # noqa: ARG002 - the library's signature
        **kwargs: Any,
    ) -> Sequence[int]:
        """The notification ids of every chunk, skipping the results of the lock statements
        that share the cursor. The last step before the library commits."""
        ids: list[int] = []
        while True:
            if curs.description is not None:
                ids.extend(row["notification_id"] for row in curs.fetchall())
            if not curs.nextset():
                break
        spans = recorders.shares_of(kwargs).spans(ids)
        if spans:
            # Still inside the events' transaction (the library commits after this step).
            curs.executemany(self.insert_commit_statement, spans)
        _committing(kwargs)
        return ids


# Reading the log ----------------------------------------------------------------------------


class PostgresBoundaries:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.recorder = recorder
        self.statement = commits_select(recorder.datastore.schema)

    def at_or_before(self, position: int) -> int:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statement, (position,))
            row: Any = cursor.fetchone()
        return commits.boundary(position, None if row is None else int(row["first_position"]))


class PostgresPositions:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.recorder = recorder
        self.statement = SQL(
            "SELECT originator_version, notification_id FROM {}.{} WHERE originator_id = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))

    def of(self, subject_id: UUID) -> dict[int, int]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statement, (subject_id,))
            return {
                int(row["originator_version"]): int(row["notification_id"])
                for row in cursor.fetchall()
            }


# The views ----------------------------------------------------------------------------------


class _PostgresCursor:
    """A psycopg cursor taking the views' ``?`` placeholders, inside the store's schema."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.raw.execute(adapt(sql), tuple(params), prepare=False)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.raw.executemany(adapt(sql), [tuple(r) for r in rows])

    def fetchall(self) -> list[Row]:
        return list(self.raw.fetchall())

    def fetchone(self) -> Row | None:
        row: Row | None = self.raw.fetchone()
        return row


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
            # JIT compilation pays for long analytical queries, not for the views' short
            # indexed reads: on 5M events it added from 25 ms to a second to reads of a few ms.
            raw.execute(
                SQL("SET LOCAL search_path TO {}; SET LOCAL jit = off").format(
                    Identifier(self.datastore.schema)
                )
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


# The store ----------------------------------------------------------------------------------


class PostgresStore:
    name: str = "postgres"
    schemes: tuple[str, ...] = POSTGRES_SCHEMES
    persistence_module: str = "eventsourcing.postgres"

    def persistence_env(self, database_url: str, environ: Mapping[str, str]) -> dict[str, str]:
        url = urlsplit(database_url)
        query = parse_qs(url.query)
        dbname = unquote(url.path.lstrip("/")) or environ.get("PGDATABASE", "")
        if not dbname:
            raise InvalidValue("a postgresql URL needs a database name: postgresql://host/dbname")
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": url.hostname or environ.get("PGHOST", "localhost"),
            "POSTGRES_PORT": str(url.port or environ.get("PGPORT", "5432")),
            "POSTGRES_USER": unquote(url.username or "") or environ.get("PGUSER", "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or "") or environ.get("PGPASSWORD", ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"][0]
        return env

    def recorder(self, factory: InfrastructureFactory[Any]) -> ApplicationRecorder:
        # The library's own way to choose the recorder class, so that it builds the recorder
        # (table names, table creation) exactly as it would its own.
        factory.env[factory.APPLICATION_RECORDER_TOPIC] = get_topic(PostgresHookedRecorder)
        return factory.application_recorder()

    def log_positions(self, recorder: ApplicationRecorder) -> PostgresPositions:
        return PostgresPositions(_own(recorder))

    def boundaries(self, recorder: ApplicationRecorder) -> PostgresBoundaries:
        return PostgresBoundaries(_own(recorder))

    def tables(self, factory: InfrastructureFactory[Any]) -> Tables:
        assert isinstance(factory, PostgresFactory)
        return Tables(
            factory.datastore, owned=False, sql_dialect=PostgresDialect(factory.datastore)
        )

    def views(self, factory: InfrastructureFactory[Any]) -> PostgresViews:
        views: object = factory.tracking_recorder(PostgresViews)
        assert isinstance(views, PostgresViews)
        return views

    def creation_lock(self, datastore: Any) -> AbstractContextManager[None]:
        return creation_lock(datastore)


def _own(recorder: ApplicationRecorder) -> PostgresApplicationRecorder:
    assert isinstance(recorder, PostgresApplicationRecorder), type(recorder).__name__
    return recorder


STORE = PostgresStore()
