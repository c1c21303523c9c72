"""The stores the ledger runs on, each behind one interface and chosen once, by URL.

The ledger runs on SQLite (one file, the embedded default), on PostgreSQL (production, many
processes) and in memory (tests, scratch work). Each needs its own code wherever the
``eventsourcing`` library leaves the ledger to talk to the database itself: the recorder that
runs a write's hooks in its transaction, the positions of a subject's events, the boundaries
of the log's transactions, the service's own tables, the views, and creating tables while
other processes start. Each store keeps all of that in one module (``sqlite``, ``postgres``,
``memory``), as the library's own persistence modules each provide a factory of recorders;
the rest of the application asks a ``Store`` and never which database it is on.

``store_for`` is the one place that picks a store, from the URL's scheme, at bootstrap. Code
handed a part the library built (a factory, a recorder) rather than a URL finds the store
that made it with ``store_of``, by the library's persistence module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from domain.errors import InvalidValue

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.persistence import (
        ApplicationRecorder,
        InfrastructureFactory,
        Notification,
        StoredEvent,
    )

    from application.commits import Boundaries
    from application.log_ends import LogEnds
    from application.log_positions import LogPositions
    from application.proofs.stored_log import StoredLog
    from application.stores.postgres import PostgresViews
    from application.stores.sqlite_views import SQLiteViews
    from application.tables import Tables
    from application.views.split_rebuild import Share
    from application.views.store import ViewStore


class Store(Protocol):
    """What the application needs of a database, whichever it is."""

    name: str
    schemes: tuple[str, ...]
    """The URL schemes that name this store."""
    shared_by_processes: bool
    """Whether several processes can serve one ledger from it at once."""
    reads_in_process: bool
    """Whether a short indexed read runs in this process, from its own cache of the file,
    in less time than handing it to a worker thread costs (``api.blocking.short_read``)."""
    persistence_module: str
    """The ``eventsourcing`` persistence module the store runs on."""
    driver_errors: tuple[type[Exception], ...]
    """The base classes of the errors its database's driver raises, beside the library's."""

    def persistence_env(self, database_url: str, environ: Mapping[str, str]) -> dict[str, str]:
        """The library's environment for a URL of this store."""
        ...

    def recorder(self, factory: InfrastructureFactory[Any]) -> ApplicationRecorder:
        """The application recorder that runs a write's hooks in its transaction (see
        ``application.recorders``)."""
        ...

    def stored_log(self, recorder: ApplicationRecorder) -> StoredLog:
        """The events' table read raw, for the checks that trust nothing (see
        ``application.proofs.stored_log``)."""
        ...

    def log_positions(self, recorder: ApplicationRecorder) -> LogPositions:
        """Where a subject's events stand in the log (see ``application.log_positions``)."""
        ...

    def boundaries(self, recorder: ApplicationRecorder) -> Boundaries:
        """Where the log's transactions begin and end (see ``application.commits``)."""
        ...

    def tables(self, factory: InfrastructureFactory[Any]) -> Tables:
        """The service's own tables, with the SQL dialect they are spoken in (see
        ``application.tables``)."""
        ...

    def events_of(self, recorder: ApplicationRecorder, ids: list[UUID]) -> list[StoredEvent] | None:
        """The stored events of every aggregate of ``ids``, in one query, ordered by
        aggregate and version; None where the store has no query to save."""
        ...

    def log_ends(self, recorder: ApplicationRecorder, views: ViewStore) -> LogEnds:
        """Where the log ends and the views stand, read together (``application.log_ends``)."""
        ...

    def share_of_log(
        self, recorder: ApplicationRecorder, start: int, limit: int, stop: int, share: Share
    ) -> list[Notification] | None:
        """The log's notifications from ``start`` up to ``stop`` (at most ``limit``) of the
        aggregates in ``share`` only, chosen by the query; None where the store reads every
        notification and the reader keeps its share (``application.views.split_rebuild``)."""
        ...

    def views(self, factory: InfrastructureFactory[Any]) -> SQLiteViews | PostgresViews:
        """The views' store beside the events (see ``application.views.store``); for the
        in-memory store, one of its own."""
        ...


def every_store() -> Iterator[Store]:
    """Every store, each imported when first asked for: the stores' modules build on modules
    that import this package (for ``Store`` and ``redact``), which must be complete by then.
    PostgreSQL's comes last, so that a process on SQLite or in memory never loads its driver
    (a sixth of such a process's start)."""
    from application.stores import sqlite

    yield sqlite.STORE
    from application.stores import memory

    yield memory.STORE
    from application.stores import postgres

    yield postgres.STORE


def store_for(database_url: str) -> Store:
    """The store a database URL names."""
    scheme = urlsplit(database_url).scheme
    for store in every_store():
        if scheme in store.schemes:
            return store
    raise InvalidValue(
        f"unsupported database URL {redact(database_url)!r}: use sqlite:///path.db, "
        "postgresql://user@host/dbname or memory://"
    )


def store_of(part: object) -> Store:
    """The store whose persistence module made a part of the library: a factory, a
    recorder (the ledger's own recorders derive from the library's) or a datastore."""
    modules = {cls.__module__ for cls in type(part).__mro__}
    for store in every_store():
        if store.persistence_module in modules:
            return store
    raise TypeError(f"no store for a {type(part).__name__}")


def persistence_env(database_url: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The ``eventsourcing`` environment for a database URL."""
    return store_for(database_url).persistence_env(database_url, environ)


def redact(database_url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    url = urlsplit(database_url)
    if not url.password:
        return database_url
    return database_url.replace(f":{url.password}@", ":***@", 1)
