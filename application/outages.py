"""Telling a database that is unavailable apart from a request or an event that is wrong.

A restart or crash of PostgreSQL, a pool that has no connection to give, a SQLite file
locked past its timeout: none of these says anything about what was asked, and the same
request succeeds once the database is back. Callers answer them "retry shortly" (HTTP 503)
and keep going, instead of reporting a fault in the ledger.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import psycopg
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    InterfaceError,
    OperationalError,
)

try:  # psycopg_pool comes with eventsourcing[postgres]
    from psycopg_pool import PoolTimeout
except ImportError:  # pragma: no cover
    PoolTimeout = TimeoutError  # type: ignore[misc, assignment]

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionPoolClosedError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    PoolTimeout,
    ConnectionError,
)
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open",
    "disk i/o",
)


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error``, or any error it was raised from, says the database is unavailable."""
    chain = list(_chain(error))
    for cause in chain:
        if isinstance(cause, sqlite3.Error):
            # SQLite says "operational error" of a missing table too: only these are outages.
            return any(words in str(cause).lower() for words in SQLITE_UNAVAILABLE)
    return any(isinstance(cause, UNAVAILABLE) for cause in chain)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
