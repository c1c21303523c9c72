"""PostgreSQL's share of the ledger's SQL: creating tables one process at a time, and SQL
written in SQLite's dialect (``?`` placeholders) made fit for psycopg."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

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


def adapt(sql: str) -> str:
    """SQL written with SQLite's ``?`` placeholders, for psycopg: its ``%`` placeholders,
    and every literal ``%`` doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


def qualified(schema: str, table: str) -> str:
    """A table's name in the store's schema, quoted as an identifier."""
    return SQL("{}.{}").format(Identifier(schema), Identifier(table)).as_string(None)
