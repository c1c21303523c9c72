"""Turning a database URL into the environment the ``eventsourcing`` library reads, and
creating the tables of a PostgreSQL database one process at a time.

The library chooses its persistence module and connection from environment-style settings;
the ledger speaks in one URL instead, which is what operators already write in compose files
and secrets. Parts a PostgreSQL URL leaves out fall back to the usual ``PG*`` variables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from eventsourcing.postgres import PostgresDatastore

from domain.errors import InvalidValue

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def persistence_env(database_url: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The ``eventsourcing`` environment for a database URL."""
    scheme = urlsplit(database_url).scheme
    if scheme == "sqlite":
        return _sqlite_env(database_url)
    if scheme in POSTGRES_SCHEMES:
        return _postgres_env(database_url, environ)
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    raise InvalidValue(
        f"unsupported database URL {redact(database_url)!r}: use sqlite:///path.db, "
        "postgresql://user@host/dbname or memory://"
    )


def sqlite_path(database_url: str) -> str:
    """The file a ``sqlite:///`` URL names: three slashes for a relative path, four for an
    absolute one, as SQLAlchemy and most tools read it."""
    path = urlsplit(database_url).path
    return path[1:] if path.startswith("/") else path


def _sqlite_env(database_url: str) -> dict[str, str]:
    path = sqlite_path(database_url)
    if not path:
        raise InvalidValue("a sqlite URL needs a file: sqlite:///ledger.db")
    if ":memory:" not in path and "mode=memory" not in path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def _postgres_env(database_url: str, environ: Mapping[str, str]) -> dict[str, str]:
    url = urlsplit(database_url)
    query = parse_qs(url.query)
    dbname = unquote(url.path.lstrip("/")) or environ.get("PGDATABASE", "")
    if not dbname:
        raise InvalidValue("a postgresql URL needs a database name: postgresql://host/dbname")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
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


def redact(database_url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    url = urlsplit(database_url)
    if not url.password:
        return database_url
    return database_url.replace(f":{url.password}@", ":***@", 1)


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
