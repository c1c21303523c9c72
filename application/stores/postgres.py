"""The PostgreSQL store: one schema holds the events, the views and the service's own tables,
shared by every process of a deployment.

``postgresql://user:password@host:port/dbname?schema=name``; parts the URL leaves out fall
back to the usual ``PG*`` variables. Many processes start, write and create tables at once
here, which is what most of this module is about. Creating tables and the SQL dialect are
in ``postgres_sql``, the views in ``postgres_views``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
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
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Composed, Identifier

from application import commits, recorders
from application.log_ends import LogEnds, log_ends
from application.proofs import keeping
from application.proofs.entries import EntryError
from application.proofs.stored_log import SQLStoredLog
from application.proofs.tree import MerkleTree
from application.stores.postgres_sql import CREATION_LOCK, adapt, creation_lock, qualified
from application.stores.postgres_views import PostgresViews
from application.tables import Tables

if TYPE_CHECKING:
    from application.views.store import ViewStore
from domain.errors import InvalidValue

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")

__all__ = [
    "CREATION_LOCK",
    "POSTGRES_SCHEMES",
    "PostgresHookedRecorder",
    "PostgresStore",
    "PostgresViews",
    "adapt",
    "creation_lock",
    "qualified",
]


# The SQL dialect ----------------------------------------------------------------------------


class PostgresDialect:
    """The ledger's SQL, written in SQLite's dialect, spoken in one PostgreSQL schema."""

    name: Literal["postgres"] = "postgres"
    column_types: Mapping[str, str] = {
        "REAL": "DOUBLE PRECISION",
        "BLOB": "BYTEA",
        "BIGINT": "BIGINT",
        "CLUSTERED": "",
    }

    table_exists = "SELECT 1 WHERE to_regclass(?) IS NOT NULL"

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

    merkle: MerkleTree
    """The Merkle tree of the log, appended in the events' transaction (set by the store)."""

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
        kwargs = recorders.prepared(kwargs, stored_events)
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
        # The table lock is still held: no writer can come between these events and their
        # leaves.
        keeping.append_leaves(self.merkle, self.merkle.tables.within(curs), kwargs, ids)
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


# The store ----------------------------------------------------------------------------------


class PostgresStore:
    name: str = "postgres"
    schemes: tuple[str, ...] = POSTGRES_SCHEMES
    shared_by_processes: bool = True
    reads_in_process: bool = False  # every read is a round trip to the server
    persistence_module: str = "eventsourcing.postgres"
    driver_errors: tuple[type[Exception], ...] = (psycopg.Error,)

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
        recorder = factory.application_recorder()
        assert isinstance(recorder, PostgresHookedRecorder)
        keeping.give_tree(recorder, self.tables(factory), self.stored_log)
        return recorder

    def stored_log(self, recorder: ApplicationRecorder) -> SQLStoredLog:
        """The events' table read raw (``application.proofs.stored_log``)."""
        own = _own(recorder)
        assert isinstance(own, PostgresHookedRecorder)
        table = qualified(own.datastore.schema, own.events_table_name)
        return SQLStoredLog(
            own.merkle.tables,
            table,
            "notification_id",
            _stored_id,
            lambda originator_id: originator_id,
            lock_statement=f"LOCK TABLE {table} IN EXCLUSIVE MODE",
            after_replay=(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), "
                f"(SELECT MAX(notification_id) FROM {table}))"
            ),
        )

    def log_positions(self, recorder: ApplicationRecorder) -> PostgresPositions:
        return PostgresPositions(_own(recorder))

    def boundaries(self, recorder: ApplicationRecorder) -> PostgresBoundaries:
        return PostgresBoundaries(_own(recorder))

    def events_of(self, recorder: ApplicationRecorder, ids: list[UUID]) -> list[StoredEvent]:
        own = _own(recorder)
        statement = SQL(
            "SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s) "
            "ORDER BY originator_id, originator_version"
        ).format(
            schema=Identifier(own.datastore.schema),
            table=Identifier(own.events_table_name),
        )
        with own.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, [ids])
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in cursor.fetchall()
            ]

    def tables(self, factory: InfrastructureFactory[Any]) -> Tables:
        assert isinstance(factory, PostgresFactory)
        return Tables(
            factory.datastore, owned=False, sql_dialect=PostgresDialect(factory.datastore)
        )

    def log_ends(self, recorder: ApplicationRecorder, views: ViewStore) -> LogEnds:
        assert isinstance(views, PostgresViews), type(views).__name__
        return log_ends(recorder, views, "notification_id", views.tracking_table_name)

    def share_of_log(self, *_args: Any) -> None:
        """Each part of a split rebuild reads every notification and keeps its share."""
        return

    def views(self, factory: InfrastructureFactory[Any]) -> PostgresViews:
        views: object = factory.tracking_recorder(PostgresViews)
        assert isinstance(views, PostgresViews)
        return views


def _stored_id(value: object) -> UUID:
    if not isinstance(value, UUID):
        raise EntryError(f"the stored id {value!r} is not a UUID")
    return value


def _own(recorder: ApplicationRecorder) -> PostgresApplicationRecorder:
    assert isinstance(recorder, PostgresApplicationRecorder), type(recorder).__name__
    return recorder


STORE = PostgresStore()
