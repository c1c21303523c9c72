"""Where the log ends and where the views stand, read together in one statement.

Every read at "now" needs both: the end of the log as the read began (so that it never
answers behind a write made before it, by this process or any other), and the position the
views reflect (so that it knows whether they must catch up first). Asked apart, they cost two
transactions; where the views live in the database that holds the events (a SQLite file,
a PostgreSQL schema) one statement reads both from the same snapshot: two lookups of an
indexed maximum. Beside the in-memory store, whose log is in this process, they are asked
apart, which costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from eventsourcing.persistence import ApplicationRecorder

if TYPE_CHECKING:
    from application.views.store import Cursor, ViewStore

TRACKED = "SELECT MAX(notification_id) AS reached FROM {table} WHERE application_name = ?"


class LogEnds(Protocol):
    def read(self) -> tuple[int, int]:
        """The log's last position and the views' position, as one snapshot saw them."""
        ...

    def read_in(self, cursor: Cursor) -> tuple[int, int]:
        """``read`` in a transaction of the views already open, so that what the caller
        reads next in it comes from the same snapshot."""
        ...

    def unchanged(self) -> tuple[int, int] | None:
        """The ends as last read, where the database can tell that nothing has been
        committed to it since; else ``None`` (read them)."""
        ...


class SharedDatabaseEnds:
    """The views share the events' database: one statement reads both ends.

    Where the database counts the commits made to it (``commits``: SQLite's
    ``data_version``), the ends last read are kept with the count read just before them:
    while the count stands still, nothing was committed, and they are still the ends."""

    def __init__(
        self,
        views: ViewStore,
        events_table: str,
        position_column: str,
        tracking_table: str,
        commits: Callable[[], int] | None = None,
    ) -> None:
        self.views = views
        self.statement = (
            f"SELECT (SELECT MAX({position_column}) FROM {events_table}) AS last, "
            f"(SELECT MAX(notification_id) FROM {tracking_table} "
            "WHERE application_name = ?) AS reached"
        )
        self.commits = commits
        self._known: tuple[int, int, int] | None = None
        """The commit count, then the ends read after it."""

    def read(self) -> tuple[int, int]:
        with self.views.transaction(commit=False) as cursor:
            return self.read_in(cursor)

    def read_in(self, cursor: Cursor) -> tuple[int, int]:
        # Counted before the ends are read: a commit in between moves the count past the
        # one kept, so the ends are read again next time rather than trusted.
        count = None if self.commits is None else self.commits()
        cursor.execute(self.statement, (self.views.projection,))
        row = cursor.fetchone()
        ends = (0, 0) if row is None else (int(row["last"] or 0), int(row["reached"] or 0))
        if count is not None:
            self._known = (count, *ends)
        return ends

    def unchanged(self) -> tuple[int, int] | None:
        known = self._known
        if known is None or self.commits is None or self.commits() != known[0]:
            return None
        return known[1], known[2]


class SeparateEnds:
    """The views live apart from the events (beside the in-memory store): asked apart, the
    log first, so that the views' position is never read from before the log's end."""

    def __init__(
        self, recorder: ApplicationRecorder, views: ViewStore, tracking_table: str
    ) -> None:
        self.recorder = recorder
        self.views = views
        self.tracked = TRACKED.format(table=tracking_table)

    def read(self) -> tuple[int, int]:
        last = self.recorder.max_notification_id() or 0
        return last, self.views.position()

    def read_in(self, cursor: Cursor) -> tuple[int, int]:
        last = self.recorder.max_notification_id() or 0
        cursor.execute(self.tracked, (self.views.projection,))
        row = cursor.fetchone()
        return last, 0 if row is None else int(row["reached"] or 0)

    def unchanged(self) -> tuple[int, int] | None:
        return None


def log_ends(
    recorder: ApplicationRecorder,
    views: ViewStore,
    position_column: str,
    tracking_table: str,
    commits: Callable[[], int] | None = None,
) -> LogEnds:
    """Both ends in one statement where the views are in the events' own database (their
    datastore is the recorder's); asked apart otherwise. Each store names its log's position
    column and its views' tracking table."""
    if getattr(views, "datastore", None) is getattr(recorder, "datastore", None):
        table = getattr(recorder, "events_table_name", "")
        return SharedDatabaseEnds(views, table, position_column, tracking_table, commits)
    return SeparateEnds(recorder, views, tracking_table)
