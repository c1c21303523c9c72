"""Keeping the views up to date with the log: in batches, exactly once, from any position.

The projector reads the log after the position its tracking record names, brings each
event's subject up to that event, and replaces the subject's open view rows whose content the
event changed. A batch's rows and its tracking record are committed together, so a projector
killed in the middle of a batch leaves the views as they were before it, and the next one
starts from there. Two projectors racing cannot both apply a batch: the second one's
tracking record (or the PostgreSQL advisory lock) refuses it, and it simply reads on.

The work per event is kept to what the event touched. Each event is decoded once; the
subjects of recent events are remembered (least recently projected forgotten first) with the
rows they left open, so the next event of a subject neither replays its stream nor reads its
open rows from the views again; and only the part of the subject the event names (one
measure, or everything for a registration, a profile amendment or a voiding) is derived and
compared with those rows (see ``rows.rows_after``). A batch that fails or loses a race makes
the projector forget everything it remembers, as the views did not take the batch.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError, Notification

from application.collector import full_passes_held_off
from application.ledger import Ledger, event_type
from application.outages import is_unavailable
from application.views.links import LinkProjection, LinkRow
from application.views.rows import MeasureRow, ProfileRow, Touched, rows_after, stamp
from application.views.store import Cursor, ViewStore
from domain.link import Link
from domain.subject import Subject
from domain.text import REPLACEMENT, UNACCEPTABLE

log = structlog.get_logger("projector")

PROJECTED, NOTHING_LEFT, BUSY = "projected", "nothing left", "busy"
REBUILD_BATCH = 20_000
"""Events per transaction while rebuilding: fewer commits, and the subjects a batch meets
again are still in its hands; no reader waits on a rebuild's batch anyway. Against 5,000, a
rebuild of 100,000 events on SQLite took 8 % less time and 58 MiB more memory at its peak;
50,000 took no less time and 190 MiB more."""

INSERT_LOG = (
    "INSERT INTO ledger_log (position, aggregate_id, version, event_type, subject_event, "
    "recorded_at, known_from) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_MEASURE = (
    "INSERT INTO measure_segments (measure_id, eff_from, rec_from, eff_to, rec_to, subject_id, "
    "authority, kind, subject_kind, programs, digest, terms_digest, document) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_MEASURE = (
    "UPDATE measure_segments SET rec_to = ? WHERE measure_id = ? AND eff_from = ? AND rec_from = ?"
)
INSERT_PROFILE = (
    "INSERT INTO profile_segments (subject_id, eff_from, rec_from, eff_to, rec_to, kind, "
    "primary_name, countries, refs, digest, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_PROFILE = (
    "UPDATE profile_segments SET rec_to = ? WHERE subject_id = ? AND eff_from = ? AND rec_from = ?"
)
INSERT_NAME = (
    "INSERT INTO name_segments (subject_id, eff_from, rec_from, ordinal, eff_to, rec_to, name, "
    "name_type, normalized) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_NAMES = (
    "UPDATE name_segments SET rec_to = ? WHERE subject_id = ? AND eff_from = ? AND rec_from = ?"
)
OPEN_MEASURES = (
    "SELECT measure_id, eff_from, rec_from, digest FROM measure_segments "
    "WHERE subject_id = ? AND rec_to IS NULL"
)
OPEN_PROFILES = (
    "SELECT subject_id, eff_from, rec_from, digest FROM profile_segments "
    "WHERE subject_id = ? AND rec_to IS NULL"
)

Key = tuple[str, str, int]
"""A row's primary key: (measure or subject id, eff_from, rec_from)."""


def _storable(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Rows whose text every store can hold. The ledger refuses such text on the way in;
    this keeps an event recorded before it did (or by another tool) from stopping the views
    for good, as NUL does in PostgreSQL. The log keeps the text as recorded."""
    return [_storable_row(row) for row in rows]


def _storable_row(row: Sequence[Any]) -> list[Any]:
    text = "".join(value for value in row if isinstance(value, str))
    if text.isascii() and text.isprintable():  # nearly every row: one check for all of it
        return list(row)
    return [_storable_value(value) for value in row]


def _storable_value(value: Any) -> Any:
    # Printable ASCII, nearly every value, holds nothing to replace: two C-speed checks.
    if not isinstance(value, str) or (value.isascii() and value.isprintable()):
        return value
    return UNACCEPTABLE.sub(REPLACEMENT, value)


@dataclass
class _Known:
    """A subject as the projector last saw it, and the view rows it left open for it.

    ``open_version`` is the subject version those rows reflect (None until they are read
    from the views): rows derived from the log are the same whichever projector wrote them,
    so rows that reflect the version just before an event are the views' rows, and need not
    be read again."""

    subject: Subject
    open_version: int | None = None
    measures: dict[str, dict[str, Key]] = field(default_factory=dict)
    """Open measure rows: measure id -> digest -> key."""
    profiles: dict[str, Key] = field(default_factory=dict)
    """Open profile rows: digest -> key."""


@dataclass
class _Batch:
    """The changes one batch makes, written with a few statements at its end."""

    cursor: Cursor
    new_measures: dict[Key, list[Any]] = field(default_factory=dict)
    new_profiles: dict[Key, tuple[list[Any], ProfileRow]] = field(default_factory=dict)
    closed_measures: list[tuple[int, str, str, int]] = field(default_factory=list)
    closed_profiles: list[tuple[int, str, str, int]] = field(default_factory=list)
    log_rows: list[tuple[Any, ...]] = field(default_factory=list)
    seen: dict[str, _Known] = field(default_factory=dict)
    """The subjects of the batch's events so far."""

    def refresh(self, known: _Known, touched: Touched, position: int) -> None:
        """Close the open rows of the touched part that the event ended, open its new ones."""
        if known.open_version != touched.version - 1:
            earlier = self.seen.get(touched.subject_id)
            if earlier is not None and earlier.open_version == touched.version - 1:
                # Forgotten since an earlier event of this batch: the views do not hold
                # that event's rows yet, the batch does.
                known.measures, known.profiles = earlier.measures, earlier.profiles
            else:
                self._load_open(known, touched.subject_id, fresh=touched.version == 1)
        self.seen[touched.subject_id] = known
        if touched.measure_id is not None:
            self._refresh_measure(known, touched.measure_id, touched.measures, position)
        else:
            by_measure: dict[str, dict[str, MeasureRow]] = {}
            for digest, row in touched.measures.items():
                by_measure.setdefault(row.measure_id, {})[digest] = row
            for measure_id in known.measures.keys() | by_measure.keys():
                self._refresh_measure(known, measure_id, by_measure.get(measure_id, {}), position)
        if touched.profiles is not None:
            self._refresh_profiles(known.profiles, touched.profiles, position)
        known.open_version = touched.version

    def _load_open(self, known: _Known, subject_id: str, *, fresh: bool) -> None:
        known.measures, known.profiles = {}, {}
        if fresh:
            return
        self.cursor.execute(OPEN_MEASURES, (subject_id,))
        for row in self.cursor.fetchall():
            key = (row["measure_id"], row["eff_from"], int(row["rec_from"]))
            known.measures.setdefault(row["measure_id"], {})[row["digest"]] = key
        self.cursor.execute(OPEN_PROFILES, (subject_id,))
        for row in self.cursor.fetchall():
            known.profiles[row["digest"]] = (
                row["subject_id"],
                row["eff_from"],
                int(row["rec_from"]),
            )

    def _refresh_measure(
        self, known: _Known, measure_id: str, rows: dict[str, MeasureRow], position: int
    ) -> None:
        open_rows = known.measures.setdefault(measure_id, {})
        for gone in [digest for digest in open_rows if digest not in rows]:
            key = open_rows.pop(gone)
            if key in self.new_measures:
                self.new_measures[key][4] = position
            else:
                self.closed_measures.append((position, *key))
        for digest, row in rows.items():
            if digest in open_rows:
                continue
            key = (row.measure_id, row.eff_from, position)
            open_rows[digest] = key
            self.new_measures[key] = [
                row.measure_id, row.eff_from, position, row.eff_to, None, row.subject_id,
                row.authority, row.kind, row.subject_kind, row.programs, row.digest,
                row.terms_digest, row.document,
            ]  # fmt: skip
        if not open_rows:
            del known.measures[measure_id]

    def _refresh_profiles(
        self, open_rows: dict[str, Key], rows: dict[str, ProfileRow], position: int
    ) -> None:
        for gone in [digest for digest in open_rows if digest not in rows]:
            key = open_rows.pop(gone)
            if key in self.new_profiles:
                self.new_profiles[key][0][4] = position
            else:
                self.closed_profiles.append((position, *key))
        for digest, row in rows.items():
            if digest in open_rows:
                continue
            key = (row.subject_id, row.eff_from, position)
            open_rows[digest] = key
            values = [
                row.subject_id, row.eff_from, position, row.eff_to, None, row.kind,
                row.primary_name, row.countries, row.refs, row.digest, row.document,
            ]  # fmt: skip
            self.new_profiles[key] = (values, row)

    def flush(self) -> None:
        cursor = self.cursor
        cursor.executemany(INSERT_LOG, self.log_rows)
        cursor.executemany(INSERT_MEASURE, _storable(self.new_measures.values()))
        cursor.executemany(CLOSE_MEASURE, self.closed_measures)
        cursor.executemany(
            INSERT_PROFILE, _storable(values for values, _ in self.new_profiles.values())
        )
        cursor.executemany(INSERT_NAME, _storable(self._name_rows()))
        cursor.executemany(CLOSE_PROFILE, self.closed_profiles)
        cursor.executemany(CLOSE_NAMES, self.closed_profiles)

    def _name_rows(self) -> Any:
        for values, row in self.new_profiles.values():
            for ordinal, (name, name_type, normalized) in enumerate(row.names):
                yield (
                    row.subject_id, row.eff_from, values[2], ordinal, row.eff_to, values[4],
                    name, name_type, normalized,
                )  # fmt: skip


@dataclass(frozen=True)
class ProjectionFailure:
    """Why the views stopped: the first event of the batch that could not be projected."""

    position: int
    error: str

    def describe(self) -> str:
        return f"the views stopped at position {self.position - 1}: {self.error}"


class ProjectionFailed(Exception):
    def __init__(self, failure: ProjectionFailure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


class Projector:
    """Brings the views up to the end of the log; safe to run from several threads or
    processes at once. The lock is held one batch at a time, so that a read waiting for a
    position never waits behind a catch-up that chases a growing log."""

    def __init__(self, ledger: Ledger, views: ViewStore, batch_size: int = 500) -> None:
        self.ledger = ledger
        self.views = views
        self.batch_size = batch_size
        self.lock = threading.Lock()
        self.subjects: OrderedDict[UUID, _Known] = OrderedDict()
        """The subjects of the latest events, least recently projected first."""
        self.cache_size = 50_000
        self.failure: ProjectionFailure | None = None
        """The last batch's failure, until a batch succeeds again."""
        self.links = LinkProjection(ledger.repository)

    def catch_up(self, until: int | None = None) -> int:
        """Project every event recorded so far (or up to ``until``); return the views'
        position."""
        if self.step(until) != NOTHING_LEFT:
            # A long catch-up (a rebuild, a worker started behind the log): the collector's
            # full passes wait for its end. A server's projector, following the log a batch at
            # a time, leaves them as they are.
            with full_passes_held_off():
                while self.step(until) != NOTHING_LEFT:
                    pass
        return self.views.position()

    def project_until(self, goal: int, deadline: float) -> bool:
        """Project up to position ``goal`` and no further, one batch at a time, giving up
        at ``deadline`` (a ``time.monotonic()`` value). True when nothing up to ``goal`` is
        left to project."""
        while time.monotonic() < deadline:
            if self.views.position() >= goal:
                return True
            outcome = self.step(goal, timeout=max(deadline - time.monotonic(), 0))
            if outcome == NOTHING_LEFT:
                return True
            if outcome == BUSY:
                time.sleep(0.02)
        return self.views.position() >= goal

    def step(self, until: int | None = None, timeout: float = -1) -> str:
        """Project one batch: ``PROJECTED``, ``NOTHING_LEFT`` (up to ``until``), or ``BUSY``
        (another thread or process holds the views' lock)."""
        if not self.lock.acquire(timeout=timeout):
            return BUSY
        try:
            return self._step(until)
        finally:
            self.lock.release()

    def _step(self, until: int | None) -> str:
        start = self.views.position() + 1
        notifications = self.ledger.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=until
        )
        if not notifications:
            return NOTHING_LEFT
        try:
            outcome = PROJECTED if self._apply(notifications) else BUSY
            if outcome == BUSY:
                self.subjects.clear()  # advanced past the rows the views hold for them
        except IntegrityError:
            # Another projector recorded this batch first: its rows are the same as ours.
            self.subjects.clear()
            return PROJECTED
        except Exception as error:
            self.subjects.clear()
            if is_unavailable(error):
                raise  # the database, not the event: nothing to report but the outage
            self.failure = ProjectionFailure(start, f"{type(error).__name__}: {error}")
            raise ProjectionFailed(self.failure) from error
        self.failure = None
        return outcome

    def _apply(self, notifications: Sequence[Notification]) -> bool:
        # Everything that reads the event store happens before the write transaction opens:
        # SQLite's connection pool would make a reader wait behind a waiting writer.
        events = [self.ledger.mapper.to_domain_event(n) for n in notifications]
        changes = [
            self._advance(event) if isinstance(event, Subject.Event) else None for event in events
        ]
        links: list[list[LinkRow] | None] = [
            self.links.advance(event) if isinstance(event, Link.Event) else None for event in events
        ]
        with self.views.transaction(commit=True) as cursor:
            if not self.views.try_lock(cursor):
                return False
            batch = _Batch(cursor)
            known_from = self._last_known_from(cursor)
            for notification, event, change, link_rows in zip(
                notifications, events, changes, links, strict=True
            ):
                known_from = self._log(batch, notification, event, known_from)
                if change is not None:
                    batch.refresh(*change, notification.id)
                if link_rows is not None:
                    self.links.refresh(cursor, link_rows, str(event.originator_id), notification.id)
            batch.flush()
            self.views.record_tracking(cursor, notifications[-1].id)
        return True

    def _log(self, batch: _Batch, notification: Notification, event: Any, known_from: str) -> str:
        recorded_at = stamp(event.timestamp)
        known_from = max(known_from, recorded_at)
        batch.log_rows.append(
            (
                notification.id,
                str(event.originator_id),
                event.originator_version,
                event_type(event),
                isinstance(event, Subject.Event),
                recorded_at,
                known_from,
            )
        )
        return known_from

    def _last_known_from(self, cursor: Cursor) -> str:
        cursor.execute("SELECT known_from FROM ledger_log ORDER BY position DESC LIMIT 1")
        row = cursor.fetchone()
        return "" if row is None else str(row["known_from"])

    def _advance(self, event: Subject.Event) -> tuple[_Known, Touched]:
        """The event's subject brought up to the event, and the rows of the part it touched."""
        subject_id = event.originator_id
        known = self.subjects.pop(subject_id, None)
        if isinstance(event, Subject.Registered):
            subject = event.mutate(None)
            assert isinstance(subject, Subject)
            known = _Known(subject)
        elif known is not None and known.subject.version == event.originator_version - 1:
            event.mutate(known.subject)
        else:
            known = _Known(self.ledger.subject(subject_id, event.originator_version))
        self.subjects[subject_id] = known
        if len(self.subjects) > self.cache_size:
            self.subjects.popitem(last=False)
        return known, rows_after(known.subject, event)

    def rebuild(self) -> int:
        """Empty the views and project the whole log again: with the indexes only reads use
        set aside meanwhile and built again at the end, in batches of at least
        ``REBUILD_BATCH`` events."""
        with self.lock:
            self.subjects.clear()
            self.views.set_aside_indexes()  # first: emptying the tables is faster without
            self.views.reset()
        log.info("views reset; projecting the whole log again")
        batch_size, self.batch_size = self.batch_size, max(self.batch_size, REBUILD_BATCH)
        try:
            with full_passes_held_off():
                self.catch_up()
            # The collector's full pass, held off while projecting, made once here: else
            # whatever the process does next pays for it. The subjects remembered go first:
            # the pass would walk every object they hold (1.2 s after 100,000 events, against
            # 0.2 s to let them go and pass over the rest), and the next event of any of them
            # is read from the log and the views as after a restart.
            with self.lock:
                self.subjects.clear()
            gc.collect()
        finally:
            self.batch_size = batch_size
            with self.lock:
                self.views.restore_indexes()
        log.info("views rebuilt; indexes built again")
        return self.views.position()
