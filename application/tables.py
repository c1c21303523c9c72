"""The service's own small tables, kept beside the event store on the ledger's own connection.

API keys and idempotency records are operational state, not facts of the ledger: they change,
expire and are never replayed, so they live in plain tables rather than in the event log. They
must still be shared by every API process of a deployment and survive restarts, so they sit
in the same database as the events: the SQLite file or the PostgreSQL schema the ledger uses.
Sharing the ledger's datastore also lets a write commit an idempotency record in the very
transaction that stores its events (see ``application.idempotency``).

The SQL is written once, in SQLite's dialect with ``?`` placeholders; each store gives the
adapter that speaks it on its database (``application.stores``). For the in-memory store
(``memory://``) the tables live in a private in-memory SQLite database, which dies with the
process exactly as the in-memory events do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from eventsourcing.postgres import PostgresDatastore
    from eventsourcing.sqlite import SQLiteDatastore

    from application.ledger import Ledger

Dialect = Literal["sqlite", "postgres"]
ADAPTED_KEPT = 1000
"""How many adapted statements a store keeps (statements built with many placeholders vary)."""
Row = Any
"""A row by column name: ``sqlite3.Row`` or psycopg's dict row."""


class SQLDialect(Protocol):
    """How a store speaks the tables' SQL, written in SQLite's dialect."""

    @property
    def name(self) -> Dialect: ...

    @property
    def column_types(self) -> Mapping[str, str]:
        """The store's type for each column type the SQL names in braces (``{REAL}``)."""
        ...

    @property
    def table_exists(self) -> str:
        """A query of one row if the table its parameter names (as ``table`` names it)
        exists, of none otherwise."""
        ...

    def adapt(self, sql: str) -> str:
        """The statement with the store's placeholders."""
        ...

    def table(self, name: str) -> str:
        """A table's name as the store's statements name it."""
        ...

    def cursor(self, cursor: Any) -> Any:
        """The database's own cursor, from a cursor the event store opened."""
        ...

    def creation_lock(self) -> AbstractContextManager[None]:
        """Held while the tables are created (see ``application.stores``)."""
        ...


class Statements:
    """One cursor of either database, speaking the ``?`` dialect."""

    def __init__(self, cursor: Any, tables: Tables) -> None:
        self.cursor = cursor
        self.tables = tables

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.cursor.execute(self.tables.adapt(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cursor.executemany(self.tables.adapt(sql), rows)  # each row as it is

    def fetchone(self) -> Row | None:
        return self.cursor.fetchone()

    def fetchall(self) -> list[Row]:
        return list(self.cursor.fetchall())


class Tables:
    """Where the service's own tables are, and how to talk to them.

    Table names in SQL are written in braces (``{ledger_api_keys}``) and named as the store's
    dialect names them: on PostgreSQL, qualified with the schema, so that each schema (each
    test, each deployment) has its own.
    """

    def __init__(
        self,
        datastore: SQLiteDatastore | PostgresDatastore,
        owned: bool,
        sql_dialect: SQLDialect,
    ) -> None:
        self.datastore = datastore
        self.owned = owned
        self.sql_dialect = sql_dialect
        self.dialect: Dialect = sql_dialect.name
        self._adapted: dict[str, str] = {}
        """Statements as the store speaks them, by their text: most are run again and again."""

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Statements]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield Statements(cursor, self)

    def within(self, cursor: Any) -> Statements:
        """Statements on a cursor the event store opened: its transaction, not a new one."""
        return Statements(self.sql_dialect.cursor(cursor), self)

    def create(self, ddl: Sequence[str]) -> None:
        """Run the tables' DDL under the lock that every table creation of the ledger takes
        (on PostgreSQL, processes starting together would otherwise race in the catalog,
        "tuple concurrently updated", even with IF NOT EXISTS)."""
        with self.creating() as statements:
            for statement in ddl:
                statements.execute(statement)

    @contextmanager
    def creating(self) -> Iterator[Statements]:
        """A transaction under the creation lock, committed at the end of the block."""
        with self.sql_dialect.creation_lock(), self.transaction(commit=True) as statements:
            yield statements

    def exists(self, statements: Statements, name: str) -> bool:
        """Whether the table ``name`` exists."""
        statements.execute(self.sql_dialect.table_exists, (self.sql_dialect.table(name),))
        return statements.fetchone() is not None

    def adapt(self, sql: str) -> str:
        adapted = self._adapted.get(sql)
        if adapted is None:
            adapted = self.sql_dialect.adapt(sql).format_map(TableNames(self.sql_dialect))
            if len(self._adapted) < ADAPTED_KEPT:
                self._adapted[sql] = adapted
        return adapted

    def close(self) -> None:
        if self.owned:
            self.datastore.close()


class TableNames(dict[str, str]):
    """Fills ``{table}`` in SQL with the table's name as the store names it (qualified with
    the schema on PostgreSQL), and ``{REAL}`` and the like with the store's column type."""

    def __init__(self, sql_dialect: SQLDialect) -> None:
        super().__init__()
        self.sql_dialect = sql_dialect

    def __missing__(self, name: str) -> str:
        if name in self.sql_dialect.column_types:
            return self.sql_dialect.column_types[name]
        if not name.startswith("ledger_"):
            raise KeyError(name)
        return self.sql_dialect.table(name)


def tables_for(ledger: Ledger) -> Tables:
    """The tables on the ledger's own database, or a private one for the in-memory store."""
    return ledger.store.tables(ledger.factory)
