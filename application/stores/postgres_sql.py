"""PostgreSQL's share of the ledger's SQL: creating tables one process at a time, and SQL
written in SQLite's dialect (``?`` placeholders) made fit for psycopg."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier

from application.stores import startup

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
    lock, also when the process dies half way; normal operation never takes it. Within a
    start (``application.stores.startup``) the parts take it in turn on one connection.
    """
    if not startup.in_start():
        with _dedicated_connection(datastore) as connection:
            connection.execute(_LOCK, (CREATION_LOCK,))
            yield
        return
    key = _server(datastore)
    shared = _locked_shared(key, datastore)
    try:
        yield
    finally:
        try:
            shared.execute(_UNLOCK, (CREATION_LOCK,))
        except psycopg.Error:
            startup.forget_connection(key)  # closing it releases the lock


def _locked_shared(key: tuple[str, ...], datastore: PostgresDatastore) -> psycopg.Connection[Any]:
    """The start's creation connection, holding the lock: opened again once if the server
    closed it since the last part's tables."""
    for attempt in (1, 2):
        shared: psycopg.Connection[Any] = startup.shared_connection(
            key, lambda: _dedicated_connection(datastore)
        )
        try:
            shared.execute(_LOCK, (CREATION_LOCK,))
        except psycopg.OperationalError:
            startup.forget_connection(key)
            if attempt == 2:
                raise
        else:
            return shared
    raise AssertionError("unreachable")  # pragma: no cover


_LOCK = "SELECT pg_advisory_lock(hashtext(%s))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext(%s))"


def _server(datastore: PostgresDatastore) -> tuple[str, ...]:
    """Which database, as whom: the lock belongs to a database, its session to a user."""
    kwargs = _pool_setting(datastore.pool.kwargs) or {}
    return tuple(str(kwargs.get(name, "")) for name in ("host", "port", "dbname", "user"))


def _pool_setting(value: Any) -> Any:
    # psycopg_pool takes either the values or a function giving them at each connection.
    return value() if callable(value) else value


def _dedicated_connection(datastore: PostgresDatastore) -> psycopg.Connection[object]:
    """A connection beside the datastore's pool, to the same server as the same user."""
    pool = datastore.pool
    conninfo = _pool_setting(pool.conninfo)
    kwargs = _pool_setting(pool.kwargs)
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
