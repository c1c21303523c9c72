"""Where the log ends and where the views stand, read together in one statement.

Every read at "now" needs both: the end of the log as the read began (so that it never
answers behind a write made before it, by this process or any other), and the position the
views reflect (so that it knows whether they must catch up first). Asked apart, they cost two
transactions; where the views live in the database that holds the events (a SQLite file,
a PostgreSQL schema) one statement reads both from the same snapshot: two lookups of an
indexed maximum. Beside the in-memory store, whose log is in this process, they are asked
apart, which costs nothing.

Where the database cannot count its commits (PostgreSQL), a read at now may instead take the
ends as last seen and ask for them again inside its own statements (``guess``, ``with_ends``,
``EndsCheck``): each statement reads them from its own snapshot, so where every statement
saw the log still ending there and the views there too, the read answered as one that had
asked first; where not, it is read again the usual way. A statement rather than two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

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

    def guess(self) -> int | None:
        """Where the database cannot tell, the log's end as last seen, if the views had
        reached it: a position a read at now may take, then check (``with_ends``); else
        ``None``."""
        ...

    def with_ends(self, sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
        """A page's statement (one with a ``key`` column) made to give the ends too, read in
        its own snapshot, as ``ends_last`` and ``ends_reached`` on every row: one row with
        the page's columns empty where the page has none."""
        ...

    def saw(self, ends: tuple[int, int]) -> None:
        """Ends that held a moment ago (a statement read them, or the views caught up
        with the log's end): the next ``guess``."""
        ...


@dataclass
class EndsCheck:
    """The ends each statement of one read saw (``LogEnds.with_ends``)."""

    seen: list[tuple[int, int]] = field(default_factory=list)
    unchecked: bool = False
    """A statement ran that did not read the ends."""

    def holds_at(self, position: int) -> bool:
        """Whether every statement of the read saw the log end at ``position`` and the views
        there: the read answered as one at ``position`` that had read the ends first."""
        return (
            bool(self.seen)
            and not self.unchecked
            and all(last == position <= reached for last, reached in self.seen)
        )


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
        self._seen: tuple[int, int] | None = None
        """The ends last seen, where the database counts no commits (``guess``)."""

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
        self.saw(ends)
        return ends

    def unchanged(self) -> tuple[int, int] | None:
        known = self._known
        if known is None or self.commits is None or self.commits() != known[0]:
            return None
        return known[1], known[2]

    def guess(self) -> int | None:
        seen = self._seen  # only kept where the database counts no commits (``saw``)
        if seen is None or seen[1] < seen[0]:
            return None
        return seen[0]

    def with_ends(self, sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
        # Ordered again by the page's key: the page's own order, which the join keeps.
        return (
            "SELECT ends.last AS ends_last, ends.reached AS ends_reached, page.* "
            f"FROM ({self.statement}) ends LEFT JOIN LATERAL ({sql}) page ON true "
            "ORDER BY page.key",
            [self.views.projection, *params],
        )

    def saw(self, ends: tuple[int, int]) -> None:
        if self.commits is None:
            self._seen = ends


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

    def guess(self) -> int | None:
        return None

    def with_ends(self, sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
        raise NotImplementedError("the ends are read apart here: nothing to guess")

    def saw(self, ends: tuple[int, int]) -> None:
        pass


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
