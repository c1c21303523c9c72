"""The SQLite store: one file holds the events, the views and the service's own tables.

``sqlite:///ledger.db`` (three slashes for a relative path, four for an absolute one). One
writer at a time is SQLite's own rule, so nothing here needs a lock of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    Notification,
    StoredEvent,
)
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
)
from eventsourcing.utils import get_topic

from application import commits, recorders
from application.log_ends import LogEnds, log_ends
from application.proofs import keeping
from application.proofs.entries import EntryError
from application.proofs.stored_log import SQLStoredLog
from application.proofs.tree import MerkleTree
from application.stores.sqlite_datastore import LedgerSQLiteFactory, WriteLockingDatastore
from application.stores.sqlite_views import SQLiteViews
from application.tables import Tables
from domain.errors import InvalidValue

if TYPE_CHECKING:
    from application.views.split_rebuild import Share
    from application.views.store import ViewStore

COMMITS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {commits.TABLE} ("
    "last_position INTEGER PRIMARY KEY, first_position INTEGER NOT NULL)"
)
COMMITS_INSERT = f"INSERT INTO {commits.TABLE} (last_position, first_position) VALUES (?, ?)"
COMMITS_SELECT = (
    f"SELECT first_position FROM {commits.TABLE} "
    "WHERE last_position > ? ORDER BY last_position LIMIT 1"
)

HEX_DIGITS = 16
SHARE_OF_LOG = (
    "SELECT rowid, * FROM {table} WHERE rowid >= ? AND rowid <= ? "
    "AND (instr('0123456789abcdef', lower(substr(originator_id, -1))) - 1) % ? = ? "
    "ORDER BY rowid LIMIT ?"
)
"""A page of the log's notifications of one share of the aggregates (``Share``: an id's
integer modulo ``parts``), told by the last hex digit of the id's text where ``parts``
divides 16: every part of a split rebuild then reads only its own events' rows."""


def sqlite_path(database_url: str) -> str:
    """The file a ``sqlite:///`` URL names: three slashes for a relative path, four for an
    absolute one, as SQLAlchemy and most tools read it."""
    path = urlsplit(database_url).path
    return path[1:] if path.startswith("/") else path


class SQLiteHookedRecorder(SQLiteApplicationRecorder):
    merkle: MerkleTree
    """The Merkle tree of the log, appended in the events' transaction (set by the store)."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), COMMITS_DDL]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs = recorders.prepared(kwargs, stored_events)
        ids = super().insert_events(stored_events, **kwargs)
        recorders.raise_refusal(kwargs, ids)
        return ids

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        shares = recorders.shares_of(kwargs)
        kept = shares.run_hooks(c)
        ids = super()._insert_events(c, stored_events[:kept], **kwargs) or []
        c.executemany(COMMITS_INSERT, shares.spans(ids))
        keeping.append_leaves(self.merkle, self.merkle.tables.within(c), kwargs, ids)
        return ids


class SQLiteBoundaries:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.recorder = recorder

    def at_or_before(self, position: int) -> int:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(COMMITS_SELECT, (position,))
            row = cursor.fetchone()
        return commits.boundary(position, None if row is None else int(row[0]))


class SQLitePositions:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.recorder = recorder
        self.statement = (
            f"SELECT originator_version, rowid FROM {recorder.events_table_name} "
            "WHERE originator_id = ?"
        )

    def of(self, subject_id: UUID) -> dict[int, int]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statement, (subject_id.hex,))
            return {int(row[0]): int(row[1]) for row in cursor.fetchall()}


class SQLiteDialect:
    """The ledger's own SQL is written in SQLite's dialect: nothing to change in it."""

    name: Literal["sqlite"] = "sqlite"
    column_types: Mapping[str, str] = {
        "REAL": "REAL",
        "BLOB": "BLOB",
        "BIGINT": "INTEGER",
        # A table stored in its primary key's order, with no second tree for the key: a
        # write touches one tree fewer.
        "CLUSTERED": " WITHOUT ROWID",
    }

    table_exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"

    def adapt(self, sql: str) -> str:
        return sql

    def table(self, name: str) -> str:
        return name

    def cursor(self, cursor: Any) -> Any:
        """The database's cursor inside the library's wrapper of it."""
        return cursor.sqlite_cursor if isinstance(cursor, SQLiteCursor) else cursor

    def creation_lock(self) -> AbstractContextManager[None]:
        """SQLite lets one writer in at a time: creations never collide."""
        return nullcontext()


# The store ----------------------------------------------------------------------------------


class SQLiteStore:
    name: str = "sqlite"
    schemes: tuple[str, ...] = ("sqlite",)
    shared_by_processes: bool = False  # one writer at a time: processes wait on each other
    reads_in_process: bool = True  # WAL: a reader never waits for a writer
    persistence_module: str = "eventsourcing.sqlite"
    driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    factory_topic: str = get_topic(LedgerSQLiteFactory)

    def persistence_env(
        self,
        database_url: str,
        environ: Mapping[str, str],  # noqa: ARG002 - a file needs no defaults
    ) -> dict[str, str]:
        path = sqlite_path(database_url)
        if not path:
            raise InvalidValue("a sqlite URL needs a file: sqlite:///ledger.db")
        if ":memory:" not in path and "mode=memory" not in path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": self.factory_topic,
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }

    def recorder(self, factory: InfrastructureFactory[Any]) -> ApplicationRecorder:
        # The library's own way to choose the recorder class, so that it builds the recorder
        # (table names, table creation) exactly as it would its own.
        factory.env[factory.APPLICATION_RECORDER_TOPIC] = get_topic(SQLiteHookedRecorder)
        recorder = factory.application_recorder()
        assert isinstance(recorder, SQLiteHookedRecorder)
        keeping.give_tree(recorder, self.tables(factory), self.stored_log)
        return recorder

    def stored_log(self, recorder: ApplicationRecorder) -> SQLStoredLog:
        """The events' table read raw (``application.proofs.stored_log``)."""
        own = _own(recorder)
        assert isinstance(own, SQLiteHookedRecorder)
        return SQLStoredLog(
            own.merkle.tables,
            own.events_table_name,
            "rowid",
            _stored_id,
            lambda originator_id: originator_id.hex,
            lock_statement=None,
        )

    def log_positions(self, recorder: ApplicationRecorder) -> SQLitePositions:
        return SQLitePositions(_own(recorder))

    def boundaries(self, recorder: ApplicationRecorder) -> SQLiteBoundaries:
        return SQLiteBoundaries(_own(recorder))

    def events_of(self, recorder: ApplicationRecorder, ids: list[UUID]) -> list[StoredEvent]:
        own = _own(recorder)
        marks = ",".join("?" * len(ids))
        statement = (
            f"SELECT * FROM {own.events_table_name} WHERE originator_id IN ({marks}) "
            "ORDER BY originator_id, originator_version"
        )
        with own.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, [aggregate_id.hex for aggregate_id in ids])
            return [
                StoredEvent(
                    originator_id=own.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in cursor.fetchall()
            ]

    def tables(self, factory: InfrastructureFactory[Any]) -> Tables:
        assert isinstance(factory, SQLiteFactory)
        return Tables(factory.datastore, owned=False, sql_dialect=SQLiteDialect())

    def log_ends(self, recorder: ApplicationRecorder, views: ViewStore) -> LogEnds:
        datastore = getattr(views, "datastore", None)
        commits = None
        if isinstance(datastore, WriteLockingDatastore):
            # In a file, every connection of every process counts in it; not so in memory.
            commits = None if datastore.pool.is_sqlite_memory_mode else datastore.data_version
        return log_ends(recorder, views, "rowid", "tracking", commits)

    def share_of_log(
        self, recorder: ApplicationRecorder, start: int, limit: int, stop: int, share: Share
    ) -> list[Notification] | None:
        if HEX_DIGITS % share.parts:
            return None  # the last digit of an id does not decide the share
        own = _own(recorder)
        with own.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                SHARE_OF_LOG.format(table=own.events_table_name),
                (start, stop, share.parts, share.number, limit),
            )
            return [
                Notification(
                    id=row["rowid"],
                    originator_id=own.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in cursor.fetchall()
            ]

    def views(self, factory: InfrastructureFactory[Any]) -> SQLiteViews:
        views: object = factory.tracking_recorder(SQLiteViews)
        assert isinstance(views, SQLiteViews)
        return views


def _stored_id(value: object) -> UUID:
    """An id as this store writes it: 32 lower-case hex digits."""
    if type(value) is not str or len(value) != 32 or value != value.lower():
        raise EntryError(f"the stored id {value!r} is not one the ledger writes")
    try:
        return UUID(hex=value)
    except ValueError:
        raise EntryError(f"the stored id {value!r} is not a UUID") from None


def _own(recorder: ApplicationRecorder) -> SQLiteApplicationRecorder:
    assert isinstance(recorder, SQLiteApplicationRecorder), type(recorder).__name__
    return recorder


STORE = SQLiteStore()
