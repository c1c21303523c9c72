"""The SQLite datastore the ledger uses: every write transaction takes the write lock first.

The library begins every transaction with a plain ``BEGIN``, which takes no lock until the
first write. A transaction that reads before it writes (``CREATE TABLE IF NOT EXISTS`` then
an insert, a check then an update) then holds a snapshot that another *process* may commit
past; when it comes to write, SQLite refuses at once with "database is locked", without
waiting the lock timeout, because waiting could not make the stale snapshot current. Two
processes on one file (``ledger serve`` beside ``ledger deliver`` or ``ledger project``) hit
that under load. ``BEGIN IMMEDIATE`` takes the write lock before the first read, waiting up to
the lock timeout for it, so a write transaction never works on a stale snapshot. Threads of
one process are already serialised by the library's pool, so this costs them nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakSet

from eventsourcing.persistence import Environment, EnvType, InterfaceError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTransaction,
)

from application.read_budget import STEPS, past_deadline

STATEMENTS_KEPT = 128
"""Prepared statements each connection keeps, as ``sqlite3`` does by default. The library
connects with ``cached_statements=True``, which ``sqlite3`` takes for 1: every statement
after another was parsed and planned again, a twelfth of a write's instructions."""


class StatementKeepingPool(SQLiteConnectionPool):
    """The library's pool of SQLite connections, each keeping its prepared statements."""

    def _create_connection(self) -> SQLiteConnection:
        # The library's own steps (``SQLiteConnectionPool._create_connection``), but for the
        # size of the statement cache.
        try:
            raw = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,
                cached_statements=STATEMENTS_KEPT,
                timeout=self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT,
            )
        except (sqlite3.Error, TypeError) as error:
            raise InterfaceError(error) from error
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                raw.execute("PRAGMA journal_mode=WAL")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        raw.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=raw, max_age=self.max_age)


class StatementKeepingDatastore(SQLiteDatastore):
    """The library's SQLite datastore, its connections keeping their prepared statements
    (``pool_class``, with the pool settings the library was given)."""

    pool_class: type[StatementKeepingPool] = StatementKeepingPool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain = self.pool  # made by the library, no connection opened yet
        self.pool = self.pool_class(
            db_name=plain.db_name,
            lock_timeout=plain.lock_timeout,
            pool_size=plain.pool_size,
            max_overflow=plain.max_overflow,
            pool_timeout=plain.pool_timeout,
            max_age=plain.max_age,
            pre_ping=plain.pre_ping,
        )
        plain.close()


class _ImmediateTransaction(SQLiteTransaction):
    """The library's transaction (its rollback, commit and error types), begun IMMEDIATE."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class WriteLockingDatastore(StatementKeepingDatastore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bounded: WeakSet[SQLiteConnection] = WeakSet()
        """Reader connections that stop a read past its budget (``application.read_budget``)."""
        self._watching: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()

    def data_version(self) -> int:
        """SQLite's count of the commits made to the file by other connections, of any
        process (``PRAGMA data_version``), read on a connection of its own that never
        writes: while it stands still, nothing has been committed. A few microseconds, where
        a read transaction costs a connection from the pool, a ``BEGIN`` and a rollback."""
        with self._watch_lock:
            if self._watching is None:
                self._watching = sqlite3.connect(
                    self.pool.db_name, uri=True, check_same_thread=False, isolation_level=None
                )
            row = self._watching.execute("PRAGMA data_version").fetchone()
            return int(row[0])

    def close(self) -> None:
        with self._watch_lock:
            if self._watching is not None:
                self._watching.close()
                self._watching = None
        super().close()

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        if not commit:
            with self._read() as cursor:
                yield cursor
            return
        with (
            self.get_connection(commit=True) as connection,
            _ImmediateTransaction(connection, commit=True) as cursor,
            cursor,
        ):
            yield cursor

    @contextmanager
    def _read(self) -> Iterator[SQLiteCursor]:
        """A read transaction as the library makes one (a reader's connection from the
        pool, its transaction and cursor, with their rollback and error types), in one
        context where the library nests four: the busiest reads are a few indexed lookups,
        which the nesting outweighed."""
        connection = self.pool.get_connection(is_writer=False)
        if connection not in self._bounded:
            connection._sqlite_conn.set_progress_handler(past_deadline, STEPS)
            self._bounded.add(connection)
        try:
            with SQLiteTransaction(connection, commit=False) as cursor, cursor:
                yield cursor
        finally:
            self.pool.put_connection(connection)


class LedgerSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, with the write-locking datastore in place of its own."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        plain = self.datastore
        self.datastore = WriteLockingDatastore(
            db_name=plain.pool.db_name,
            lock_timeout=plain.pool.lock_timeout,
            single_row_tracking=plain.single_row_tracking,
            originator_id_type=plain.originator_id_type,
        )
        plain.close()


class _ScratchPool(StatementKeepingPool):
    """Connections that keep no journal on disk and never wait for the disk."""

    def _create_connection(self) -> SQLiteConnection:
        self.is_journal_mode_wal = True  # not switched to WAL, as the library would
        connection = super()._create_connection()
        connection._sqlite_conn.execute("PRAGMA journal_mode=MEMORY")
        connection._sqlite_conn.execute("PRAGMA synchronous=OFF")
        return connection


class ScratchDatastore(StatementKeepingDatastore):
    """A file of scratch rows that nobody reads until it is complete, thrown away if its
    writer stops half way (a part of a split rebuild): written with no write-ahead log and
    no flush to disk. Each page is then written once, to the file itself, rather than to
    the log and again to the file at the next checkpoint; a transaction still rolls back
    (its journal is kept in memory)."""

    pool_class = _ScratchPool
