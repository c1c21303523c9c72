"""Event recorders that let a write run one more statement in the transaction of its events,
and let one transaction hold several writes.

The ``eventsourcing`` library stores a save's events in one transaction but offers no way to
add anything to it. The ledger needs exactly that once: an idempotency claim must be marked
committed together with the events of its write, or not at all (see
``application.idempotency``). These recorders take a hook as the ``within_transaction``
keyword of ``Application.save``, which the library hands down to the recorder, and run it
with the transaction's cursor before the events are inserted: if the hook raises, nothing
is stored; if the insert fails, the hook's change is rolled back with it.

A save may also carry ``Shares`` (the ``shares`` keyword): the writes of a group commit
(``application.group_commit``), in order, each with its number of events and its own hook.
Each write's transaction boundary is recorded on its own (``application.commits``), so a
reader never sees half of one write. The hooks run in order before any event is inserted; a
hook that refuses its write (raises a ``LedgerError``, such as a lost idempotency claim) ends
the transaction at the writes before it: those are stored and committed, none after it is,
and the save then raises ``ShareRefused``. Writes after the refused one may have been
checked on its effects, so they are not stored here but checked again by the caller. Every
store behaves so, the in-memory one included, whose hooks cannot be rolled back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from eventsourcing.utils import get_topic

from application import commits
from application.storage import creation_lock
from domain.errors import LedgerError

WITHIN_TRANSACTION = "within_transaction"
SHARES = "shares"
INSERT_CHUNK = 1000
Hook = Callable[[Any], None]
"""Called with the transaction's cursor (``None`` in memory, where a lock stands in for it)."""


@dataclass(frozen=True)
class Share:
    """One write's part of a transaction that stores several: its events, in order, and the
    hook to run for it."""

    size: int
    hook: Hook | None = None


class Shares:
    """The writes one save stores, and how far the transaction got through them."""

    def __init__(self, shares: Sequence[Share], *, whole: bool = False) -> None:
        self.shares = tuple(shares)
        self.whole = whole
        """A save of one write, whose refusal raises the hook's own error."""
        self.refused: tuple[int, LedgerError] | None = None
        self.kept = 0
        """How many of the save's events the transaction stores: the writes' before the
        refused one, or all."""

    def run_hooks(self, cursor: Any) -> int:
        """Run each write's hook in order, up to the first that refuses its write; the number
        of events to store."""
        self.refused, self.kept = None, 0
        for index, share in enumerate(self.shares):
            if share.hook is not None:
                try:
                    share.hook(cursor)
                except LedgerError as error:
                    self.refused = (index, error)
                    break
            self.kept += share.size
        return self.kept

    def spans(self, ids: Sequence[int]) -> list[tuple[int, int]]:
        """The transaction-boundary rows of the stored writes, one for each of two or more
        events."""
        sizes = [share.size for share in self.shares]
        return commits.spans(ids, sizes)


class ShareRefused(Exception):
    """A hook refused its write: the writes before it were stored and committed (their
    positions in ``ids``), the refused one and those after it were not."""

    def __init__(self, index: int, error: LedgerError, ids: Sequence[int]) -> None:
        super().__init__(error.detail)
        self.index = index
        self.error = error
        self.ids = tuple(ids)


def _with_shares(kwargs: dict[str, Any], count: int) -> dict[str, Any]:
    """The save's keywords with its writes: those it was given, or the save as one write
    with its hook."""
    if kwargs.get(SHARES) is not None:
        return kwargs
    return {
        **kwargs,
        SHARES: Shares([Share(count, kwargs.get(WITHIN_TRANSACTION))], whole=True),
    }


def _shares_of(kwargs: dict[str, Any]) -> Shares:
    shares: Shares = kwargs[SHARES]
    return shares


def _raise_refusal(kwargs: dict[str, Any], ids: Sequence[int] | None) -> None:
    """After the commit: tell the caller which write was refused, if one was."""
    shares = _shares_of(kwargs)
    if shares.refused is None:
        return
    if shares.whole:
        raise shares.refused[1]
    raise ShareRefused(*shares.refused, ids or ())


PROGRESS = "insert_progress"
INSERT_ATTEMPTS = 5
INSERT_RETRY_WAIT = 0.2
# The library's own save, without the library's retries around it (see ``insert_events``).
# No fallback to the decorated one: a library that stopped exposing it must fail loudly here,
# not quietly try a commit of unknown outcome again.
_library_insert_events: Callable[..., Sequence[int] | None] = (
    PostgresApplicationRecorder.insert_events.__wrapped__
)


class _Progress:
    """How far one attempt of a save got: whether its commit may have been sent."""

    committing = False


def _committing(kwargs: dict[str, Any]) -> None:
    progress: _Progress | None = kwargs.get(PROGRESS)
    if progress is not None:
        progress.committing = True


class SQLiteHookedRecorder(SQLiteApplicationRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), commits.SQLITE_DDL]

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs = _with_shares(kwargs, len(stored_events))
        ids = super().insert_events(stored_events, **kwargs)
        _raise_refusal(kwargs, ids)
        return ids

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        shares = _shares_of(kwargs)
        kept = shares.run_hooks(c)
        ids = super()._insert_events(c, stored_events[:kept], **kwargs) or []
        c.executemany(commits.SQLITE_INSERT, shares.spans(ids))
        return ids


class PostgresHookedRecorder(PostgresApplicationRecorder):
    """The hook runs in the library's ``_insert_events`` step, which shares the insert's
    transaction and, unlike the steps after the insert, lets an exception roll it back."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.sql_create_statements.append(commits.postgres_ddl(self.datastore.schema))
        self.insert_commit_statement = commits.postgres_insert(self.datastore.schema)

    def create_table(self) -> None:
        """Create the tables under the database's creation lock: processes starting at once
        would otherwise collide in the catalog (see ``application.storage.creation_lock``)."""
        with creation_lock(self.datastore):
            super().create_table()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Store the events, trying again only where that cannot store them twice.

        The library tries a failed save again whatever the failure; but a connection lost
        while the transaction commits leaves its outcome unknown, and a second attempt of a
        save that was in fact stored meets its own events as a conflict, which the ledger
        takes for another writer's and redoes the command. So a save is tried again only if
        it failed before its commit was sent (a connection the restarted server had closed,
        a pool that had none to give); otherwise the error goes up, to answer ``503``.
        """
        kwargs = _with_shares(kwargs, len(stored_events))
        for attempt in range(1, INSERT_ATTEMPTS + 1):
            progress = _Progress()
            try:
                ids: Sequence[int] | None = _library_insert_events(
                    self, stored_events, **kwargs, **{PROGRESS: progress}
                )
            except (InterfaceError, OperationalError):
                if progress.committing or attempt == INSERT_ATTEMPTS:
                    raise
                time.sleep(INSERT_RETRY_WAIT * attempt)
            else:
                _raise_refusal(kwargs, ids)
                return ids
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        if self.datastore.enable_db_functions:
            raise RuntimeError("POSTGRES_ENABLE_DB_FUNCTIONS skips the hooks; do not set it")
        _shares_of(kwargs).run_hooks(curs)
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Insert in chunks: the library sends all of a save's events as one array parameter
        of one statement, and in pipeline mode a save of some 16,000 events or more never
        returns (the server and the client each wait for the other). A publication's import
        saves tens of thousands of events in one transaction. Only the events of the writes
        whose hooks passed are inserted (see ``Shares``)."""
        self._lock_table(curs)
        self._notify_channel(curs)
        stored_events = stored_events[: _shares_of(kwargs).kept]
        chunks = [
            (
                [
                    self.construct_pg_stored_event(
                        e.originator_id, e.originator_version, e.topic, e.state
                    )
                    for e in stored_events[start : start + INSERT_CHUNK]
                ],
            )
            for start in range(0, len(stored_events), INSERT_CHUNK)
        ]
        curs.executemany(self.insert_events_statement, chunks, returning=True)

    def _fetch_ids_after_insert_events(
        self,
        curs: Any,
        stored_events: Sequence[StoredEvent],  # noqa: ARG002 - the library's signature
        **kwargs: Any,
    ) -> Sequence[int]:
        """The notification ids of every chunk, skipping the results of the lock statements
        that share the cursor. The last step before the library commits."""
        ids: list[int] = []
        while True:
            if curs.description is not None:
                ids.extend(row["notification_id"] for row in curs.fetchall())
            if not curs.nextset():
                break
        spans = _shares_of(kwargs).spans(ids)
        if spans:
            # Still inside the events' transaction (the library commits after this step).
            curs.executemany(self.insert_commit_statement, spans)
        _committing(kwargs)
        return ids


class MemoryHookedRecorder(POPOApplicationRecorder):
    """In memory there is no transaction: the store's lock is held across the uniqueness
    check, the hook and the insert, so that a hook that ran is never followed by a failed
    insert."""

    def __init__(self) -> None:
        super().__init__()
        self.commits = commits.MemoryCommits()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        kwargs = _with_shares(kwargs, len(stored_events))
        ids = super().insert_events(stored_events, **kwargs)
        _raise_refusal(kwargs, ids)
        return ids

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            self._assert_uniqueness(stored_events, **kwargs)
            shares = _shares_of(kwargs)
            kept = shares.run_hooks(None)
            ids = super()._insert_events(stored_events[:kept], **kwargs) or []
            self.commits.record(shares.spans(ids))
            return ids


def hooked_recorder(factory: InfrastructureFactory[Any]) -> ApplicationRecorder:
    """The factory's application recorder, of the class that runs hooks."""
    if isinstance(factory, POPOFactory):
        return MemoryHookedRecorder()
    if isinstance(factory, SQLiteFactory):
        recorder_class: type[ApplicationRecorder] = SQLiteHookedRecorder
    elif isinstance(factory, PostgresFactory):
        recorder_class = PostgresHookedRecorder
    else:
        raise TypeError(f"no hooked recorder for a {type(factory).__name__}")
    # The library's own way to choose the recorder class, so that it builds the recorder
    # (table names, table creation) exactly as it would its own.
    factory.env[factory.APPLICATION_RECORDER_TOPIC] = get_topic(recorder_class)
    return factory.application_recorder()
