"""The in-memory store (``memory://``): events in the process's memory, gone with it.

The library's in-memory recorders have no SQL, so the service's own tables and the views
live in private in-memory SQLite databases, which die with the process exactly as the
events do. With no transactions, a lock stands in for one (see ``MemoryHookedRecorder``).
"""

from __future__ import annotations

import bisect
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.sqlite import SQLiteDatastore

from application import commits, recorders
from application.log_ends import LogEnds, SeparateEnds
from application.proofs import keeping
from application.proofs.entries import EntryError
from application.proofs.stored_log import StoredRecord
from application.proofs.tree import MerkleTree
from application.stores.sqlite import SQLiteDialect
from application.stores.sqlite_datastore import StatementKeepingDatastore
from application.stores.sqlite_views import SQLiteViews
from application.tables import Tables

if TYPE_CHECKING:
    from application.views.store import ViewStore


class MemoryCommits:
    """The in-memory store's transactions, kept by its recorder as they happen."""

    def __init__(self) -> None:
        self.lasts: list[int] = []
        self.firsts: list[int] = []

    def record(self, rows: Sequence[tuple[int, int]]) -> None:
        """Keep the (last, first) rows of one transaction's writes, in log order."""
        for last, first in rows:
            self.lasts.append(last)
            self.firsts.append(first)

    def at_or_before(self, position: int) -> int:
        index = bisect.bisect_right(self.lasts, position)
        return commits.boundary(position, self.firsts[index] if index < len(self.lasts) else None)


class MemoryHookedRecorder(POPOApplicationRecorder):
    """In memory there is no transaction: the store's lock is held across the uniqueness
    check, the hook and the insert, so that a hook that ran is never followed by a failed
    insert."""

    def __init__(self) -> None:
        super().__init__()
        self.commits = MemoryCommits()
        self.merkle = MerkleTree(
            Tables(private_sqlite("merkle"), owned=True, sql_dialect=SQLiteDialect())
        )
        self.merkle.create()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs = recorders.prepared(kwargs, stored_events)
        ids = super().insert_events(stored_events, **kwargs)
        recorders.raise_refusal(kwargs, ids)
        return ids

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            self._assert_uniqueness(stored_events, **kwargs)
            shares = recorders.shares_of(kwargs)
            kept = shares.run_hooks(None)
            ids = super()._insert_events(stored_events[:kept], **kwargs) or []
            self.commits.record(shares.spans(ids))
            with self.merkle.tables.transaction(commit=True) as statements:
                keeping.append_leaves(self.merkle, statements, kwargs, ids)
            return ids


class ScannedPositions:
    """With no index to ask, scans the whole log."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder

    def of(self, subject_id: UUID) -> dict[int, int]:
        found: dict[int, int] = {}
        start = 1
        while page := self.recorder.select_notifications(start=start, limit=1000):
            for notification in page:
                if notification.originator_id == subject_id:
                    found[notification.originator_version] = notification.id
            start = page[-1].id + 1
        return found


class MemoryStoredLog:
    """The in-memory events, as the recorder holds them."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder

    def records(self, after: int, limit: int) -> list[StoredRecord]:
        notifications = self.recorder.select_notifications(
            start=after, limit=limit, inclusive_of_start=False
        )
        return [
            StoredRecord(n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in notifications
        ]

    def originator_id(self, value: object) -> UUID:
        if not isinstance(value, UUID):
            raise EntryError(f"the stored id {value!r} is not a UUID")
        return value


def private_sqlite(purpose: str) -> SQLiteDatastore:
    """A SQLite database of the process's own, in memory, shared by its connections."""
    name = f"file:ledger-{purpose}-{uuid.uuid4().hex}?mode=memory&cache=shared"
    return StatementKeepingDatastore(name)


class MemoryStore:
    name: str = "memory"
    schemes: tuple[str, ...] = ("memory",)
    shared_by_processes: bool = False  # each process has a ledger of its own
    # Its views' in-memory database lets readers wait for a writer: keep them off the loop.
    reads_in_process: bool = False
    persistence_module: str = "eventsourcing.popo"
    driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)  # its tables and views

    def persistence_env(
        self,
        database_url: str,  # noqa: ARG002 - memory:// says all there is to say
        environ: Mapping[str, str],  # noqa: ARG002
    ) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": self.persistence_module}

    def recorder(
        self,
        factory: InfrastructureFactory[Any],  # noqa: ARG002 - nothing to configure
    ) -> ApplicationRecorder:
        return MemoryHookedRecorder()

    def stored_log(self, recorder: ApplicationRecorder) -> MemoryStoredLog:
        return MemoryStoredLog(recorder)

    def log_positions(self, recorder: ApplicationRecorder) -> ScannedPositions:
        return ScannedPositions(recorder)

    def boundaries(self, recorder: ApplicationRecorder) -> MemoryCommits:
        assert isinstance(recorder, MemoryHookedRecorder), type(recorder).__name__
        return recorder.commits

    def tables(self, factory: InfrastructureFactory[Any]) -> Tables:  # noqa: ARG002
        return Tables(private_sqlite("tables"), owned=True, sql_dialect=SQLiteDialect())

    def events_of(self, recorder: ApplicationRecorder, ids: list[UUID]) -> None:  # noqa: ARG002
        """In memory, reading aggregates one by one costs no query: nothing to batch."""
        return

    def log_ends(self, recorder: ApplicationRecorder, views: ViewStore) -> LogEnds:
        return SeparateEnds(recorder, views, "tracking")

    def share_of_log(self, *_args: Any) -> None:
        """In memory nothing is split: the reader keeps its share of what it reads."""
        return

    def views(self, factory: InfrastructureFactory[Any]) -> SQLiteViews:  # noqa: ARG002
        views = SQLiteViews(private_sqlite("views"))
        views.create_table()
        return views


STORE = MemoryStore()
