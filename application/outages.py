"""Telling a database that is unavailable apart from a request or an event that is wrong.

A restart or crash of PostgreSQL, a pool that has no connection to give, a SQLite file
locked past its timeout: none of these says anything about what was asked, and the same
request succeeds once the database is back. Callers answer them "retry shortly" (HTTP 503)
and keep going, instead of reporting a fault in the ledger.
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Iterator

from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    InterfaceError,
    OperationalError,
)

UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionPoolClosedError,
    ConnectionError,
)
"""The outages any store may raise; PostgreSQL's driver adds its own (``_unavailable``)."""
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
    unavailable = _unavailable()
    return any(isinstance(cause, unavailable) for cause in chain)


def _unavailable() -> tuple[type[BaseException], ...]:
    """The outage errors that can have been raised: PostgreSQL's driver's only once it is
    loaded, which only the PostgreSQL store does (a process on SQLite never pays for it)."""
    if "psycopg" not in sys.modules:
        return UNAVAILABLE
    return _with_postgres()


@functools.cache
def _with_postgres() -> tuple[type[BaseException], ...]:
    import psycopg

    try:  # psycopg_pool comes with eventsourcing[postgres]
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover
        return (*UNAVAILABLE, psycopg.OperationalError, psycopg.InterfaceError)
    return (*UNAVAILABLE, psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
