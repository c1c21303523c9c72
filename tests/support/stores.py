"""The stores every ledger test runs against: in memory, a SQLite file, and PostgreSQL.

PostgreSQL is the real server the machine runs (``LEDGER_TEST_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``). Each test session creates a database of its
own and drops it at the end; each test gets a fresh schema inside it, so that neither runs
nor tests ever see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg

ADMIN_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _with_database(url: str, dbname: str, query: str = "") -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", query, ""))


def _connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or "",
        dbname=parts.path.lstrip("/") or "test",
        autocommit=True,
        connect_timeout=10,
    )


class PostgresDatabase:
    """A database made for one test session."""

    def __init__(self, admin_url: str = ADMIN_URL) -> None:
        self.admin_url = admin_url
        self.name = f"ledger_test_{uuid.uuid4().hex[:12]}"
        self.url = _with_database(admin_url, self.name)

    def create(self) -> None:
        with _connect(self.admin_url) as connection:
            connection.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with _connect(self.admin_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def new_schema(self) -> str:
        """A URL on a fresh, empty schema of this database."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with _connect(self.url) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        return _with_database(self.admin_url, self.name, f"schema={schema}")


@contextmanager
def postgres_database() -> Iterator[PostgresDatabase]:
    database = PostgresDatabase()
    database.create()
    try:
        yield database
    finally:
        database.drop()
