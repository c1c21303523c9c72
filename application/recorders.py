"""Event recorders that let a write run one more statement in the transaction of its events.

The ``eventsourcing`` library stores a save's events in one transaction but offers no way to
add anything to it. The ledger needs exactly that once: an idempotency claim must be marked
committed together with the events of its write, or not at all (see
``application.idempotency``). These recorders take a hook as the ``within_transaction``
keyword of ``Application.save``, which the library hands down to the recorder, and run it
with the transaction's cursor before the events are inserted: if the hook raises, nothing
is stored; if the insert fails, the hook's change is rolled back with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, InfrastructureFactory, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from eventsourcing.utils import get_topic

WITHIN_TRANSACTION = "within_transaction"
INSERT_CHUNK = 1000
Hook = Callable[[Any], None]
"""Called with the transaction's cursor (``None`` in memory, where a lock stands in for it)."""


def _run_hook(kwargs: dict[str, Any], cursor: Any) -> None:
    hook: Hook | None = kwargs.get(WITHIN_TRANSACTION)
    if hook is not None:
        hook(cursor)


class SQLiteHookedRecorder(SQLiteApplicationRecorder):
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        _run_hook(kwargs, c)
        return super()._insert_events(c, stored_events, **kwargs)


class PostgresHookedRecorder(PostgresApplicationRecorder):
    """The hook runs in the library's ``_insert_events`` step, which shares the insert's
    transaction and, unlike the steps after the insert, lets an exception roll it back."""

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        if kwargs.get(WITHIN_TRANSACTION) is not None and self.datastore.enable_db_functions:
            raise RuntimeError("POSTGRES_ENABLE_DB_FUNCTIONS skips the hook; do not set it")
        _run_hook(kwargs, curs)
        super()._insert_events(curs, stored_events, **kwargs)

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        """Insert in chunks: the library sends all of a save's events as one array parameter
        of one statement, and in pipeline mode a save of some 16,000 events or more never
        returns (the server and the client each wait for the other). A publication's import
        saves tens of thousands of events in one transaction."""
        self._lock_table(curs)
        self._notify_channel(curs)
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
        **_: Any,
    ) -> Sequence[int]:
        """The notification ids of every chunk, skipping the results of the lock statements
        that share the cursor."""
        ids: list[int] = []
        while True:
            if curs.description is not None:
                ids.extend(row["notification_id"] for row in curs.fetchall())
            if not curs.nextset():
                return ids


class MemoryHookedRecorder(POPOApplicationRecorder):
    """In memory there is no transaction: the store's lock is held across the uniqueness
    check, the hook and the insert, so that a hook that ran is never followed by a failed
    insert."""

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            self._assert_uniqueness(stored_events, **kwargs)
            _run_hook(kwargs, None)
            return super()._insert_events(stored_events, **kwargs)


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
