"""The service's own small tables, kept beside the event store on the ledger's own connection.

API keys and idempotency records are operational state, not facts of the ledger: they change,
expire and are never replayed, so they live in plain tables rather than in the event log. They
must still be shared by every API process of a deployment and survive restarts, so they sit
in the same database as the events: the SQLite file or the PostgreSQL schema the ledger uses.
Sharing the ledger's datastore also lets a write commit an idempotency record in the very
transaction that stores its events (see ``application.idempotency``).

The SQL is written once with ``?`` placeholders and adapted to PostgreSQL here. For the
in-memory store (``memory://``) the tables live in a private in-memory SQLite database,
which dies with the process exactly as the in-memory events do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from eventsourcing.popo import POPOFactory
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteFactory
from psycopg.sql import SQL, Identifier

from application.ledger import Ledger
from application.storage import creation_lock

Dialect = Literal["sqlite", "postgres"]
Row = Any
"""A row by column name: ``sqlite3.Row`` or psycopg's dict row."""

COLUMN_TYPES = {
    "sqlite": {"REAL": "REAL", "BLOB": "BLOB"},
    "postgres": {"REAL": "DOUBLE PRECISION", "BLOB": "BYTEA"},
}


class Statements:
    """One cursor of either database, speaking the ``?`` dialect."""

    def __init__(self, cursor: Any, tables: Tables) -> None:
        self.cursor = cursor
        self.tables = tables

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.tables.adapt(sql), tuple(params))

    def fetchone(self) -> Row | None:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Row]:
        return list(self.cursor.fetchall())


class Tables:
    """Where the service's own tables are, and how to talk to them.

    Table names in SQL are written in braces (``{ledger_api_keys}``) and qualified with the
    PostgreSQL schema here, so that each schema (each test, each deployment) has its own.
    """

    def __init__(self, datastore: SQLiteDatastore | PostgresDatastore, owned: bool) -> None:
        self.datastore = datastore
        self.owned = owned
        self.dialect: Dialect = "postgres" if isinstance(datastore, PostgresDatastore) else "sqlite"

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Statements]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield Statements(cursor, self)

    def within(self, cursor: Any) -> Statements:
        """Statements on a cursor the event store opened: its transaction, not a new one."""
        if isinstance(cursor, SQLiteCursor):
            return Statements(cursor.sqlite_cursor, self)
        return Statements(cursor, self)

    def create(self, ddl: Sequence[str]) -> None:
        """Run the tables' DDL; on PostgreSQL under the lock that every table creation of the
        ledger takes, since processes starting together would otherwise race in the catalog
        ("tuple concurrently updated") even with IF NOT EXISTS."""
        if isinstance(self.datastore, PostgresDatastore):
            with creation_lock(self.datastore):
                self._run(ddl)
        else:
            self._run(ddl)

    def _run(self, ddl: Sequence[str]) -> None:
        with self.transaction(commit=True) as statements:
            for statement in ddl:
                statements.execute(statement)

    def adapt(self, sql: str) -> str:
        names = TableNames(self)
        if self.dialect == "sqlite":
            return sql.format_map(names)
        return sql.replace("?", "%s").format_map(names)

    def close(self) -> None:
        if self.owned:
            self.datastore.close()


class TableNames(dict[str, str]):
    """Fills ``{table}`` in SQL with the table's name, schema-qualified on PostgreSQL; any
    other brace (a column type) is left for ``COLUMN_TYPES``."""

    def __init__(self, tables: Tables) -> None:
        super().__init__()
        self.tables = tables

    def __missing__(self, name: str) -> str:
        if name in COLUMN_TYPES["sqlite"]:
            return COLUMN_TYPES[self.tables.dialect][name]
        if not name.startswith("ledger_"):
            raise KeyError(name)
        datastore = self.tables.datastore
        if isinstance(datastore, PostgresDatastore):
            qualified = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(name))
            return qualified.as_string(None)
        return name


def tables_for(ledger: Ledger) -> Tables:
    """The tables on the ledger's own database, or a private one for the in-memory store."""
    factory = ledger.factory
    if isinstance(factory, (SQLiteFactory, PostgresFactory)):
        return Tables(factory.datastore, owned=False)
    if isinstance(factory, POPOFactory):
        private = f"file:ledger-tables-{uuid.uuid4().hex}?mode=memory&cache=shared"
        return Tables(SQLiteDatastore(private), owned=True)
    raise TypeError(f"no tables for a {type(factory).__name__}")
