"""Where a subject's events stand in the global log.

The library gives every stored event a position in the application's log but offers no call
to ask for one aggregate's positions; these adapters ask each store directly, through the
recorder's own connection and table. They let a subject's history show positions, and a read
pinned to a log position find the subject's version at that point, without waiting for any
projection.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier


class LogPositions(Protocol):
    def of(self, subject_id: UUID) -> dict[int, int]:
        """Each version of the subject mapped to its event's position in the log."""
        ...


class SQLitePositions:
    def __init__(self, recorder: SQLiteApplicationRecorder) -> None:
        self.recorder = recorder
        self.statement = (
            f"SELECT originator_version, rowid FROM {recorder.events_table_name} "
            "WHERE originator_id = ?"
        )

    def of(self, subject_id: UUID) -> dict[int, int]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statement, (subject_id.hex,))
            return {int(row[0]): int(row[1]) for row in cursor.fetchall()}


class PostgresPositions:
    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.recorder = recorder
        self.statement = SQL(
            "SELECT originator_version, notification_id FROM {}.{} WHERE originator_id = %s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))

    def of(self, subject_id: UUID) -> dict[int, int]:
        with self.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statement, (subject_id,))
            return {
                int(row["originator_version"]): int(row["notification_id"])
                for row in cursor.fetchall()
            }


class ScannedPositions:
    """For the in-memory store, which has no index to ask: scans the whole log."""

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


def log_positions(recorder: ApplicationRecorder) -> LogPositions:
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLitePositions(recorder)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresPositions(recorder)
    if isinstance(recorder, POPOApplicationRecorder):
        return ScannedPositions(recorder)
    raise TypeError(f"no way to locate events in a {type(recorder).__name__}")
