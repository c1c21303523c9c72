"""Where the views live: tables beside the event store, written with their tracking record.

A view store is a tracking recorder of the ``eventsourcing`` library (SQLite or PostgreSQL)
extended with the views' own tables. Rows and the tracking record of the last event they
reflect are written in one transaction, so a view is updated exactly once per event even
when a projector dies half way or two projectors race. For the in-memory event store the
views live in an in-memory SQLite database of their own.

This module holds what the views ask of any store; each store's view class is in its own
module (``SQLiteViews`` in ``application.stores.sqlite_views``, ``PostgresViews`` in
``application.stores.postgres_views``). The views' SQL is written once, with
``?`` placeholders, and adapted for PostgreSQL there (``application.stores.postgres.adapt``).
Times are stored as fixed-width ISO text in UTC, which sorts as time does in both databases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import InfrastructureFactory, IntegrityError, TrackingRecorder

from application.stores import store_of
from application.stores.memory import STORE as MEMORY
from application.stores.sqlite_views import SQLiteViews

if TYPE_CHECKING:  # imported by the PostgreSQL store alone, so a SQLite process never loads it
    from application.stores.postgres import PostgresViews

Row = Mapping[str, Any]


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def fetchall(self) -> list[Row]: ...
    def fetchone(self) -> Row | None: ...


class ViewStore(Protocol):
    """The operations projectors and queries need, whatever the database."""

    projection: str
    joined_measures: str | None
    """An aggregate joining the documents of a subject's measures ``m`` with commas, in
    measure id order, where the database promises that order; else None."""

    def transaction(self, *, commit: bool, snapshot: bool = False) -> Any: ...
    def one_connection(self) -> AbstractContextManager[None]: ...
    def record_tracking(self, cursor: Cursor, position: int) -> None: ...
    def position(self) -> int: ...
    def reset(self) -> None: ...
    def set_aside_indexes(self) -> None: ...
    def restore_indexes(self) -> None: ...
    def try_lock(self, cursor: Cursor) -> bool: ...


def open_view_store(
    factory: InfrastructureFactory[Any], *, in_memory: bool = False
) -> SQLiteViews | PostgresViews:
    """The view store beside the event store the factory made, or a scratch one in memory."""
    return (MEMORY if in_memory else store_of(factory)).views(factory)


__all__ = [
    "Cursor",
    "IntegrityError",
    "Row",
    "SQLiteViews",
    "TrackingRecorder",
    "ViewStore",
    "open_view_store",
]
