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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError, Notification

from application.collector import full_passes_held_off
from application.ledger import Ledger
from application.outages import is_unavailable
from application.receipts import event_type
from application.views.batch import Batch, Known
from application.views.links import LinkProjection, LinkRow
from application.views.rows import Touched, rows_after, stamp
from application.views.split_rebuild import Share, parts_for, rebuild_split
from application.views.store import Cursor, ViewStore
from domain.link import Link
from domain.subject import Subject

log = structlog.get_logger("projector")

PROJECTED, NOTHING_LEFT, BUSY = "projected", "nothing left", "busy"
REBUILD_BATCH = 20_000
"""Events per transaction while rebuilding: fewer commits, and the subjects a batch meets
again are still in its hands; no reader waits on a rebuild's batch anyway. Against 5,000, a
rebuild of 100,000 events on SQLite took 8 % less time and 58 MiB more memory at its peak;
50,000 took no less time and 190 MiB more."""


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

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        batch_size: int = 500,
        share: Share | None = None,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.batch_size = batch_size
        self.share = share
        """The aggregates whose events this projector projects, if not all: one part of a
        split rebuild (``split_rebuild``). Its position moves past every event it reads: all of
        them, or only its share where the store reads the share alone (``_read``)."""
        self.lock = threading.Lock()
        self.subjects: OrderedDict[UUID, Known] = OrderedDict()
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
        batch = self._read(start, until)
        if batch is None:
            return NOTHING_LEFT
        notifications, last = batch
        try:
            outcome = PROJECTED if self._apply(notifications, last) else BUSY
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

    def _read(self, start: int, until: int | None) -> tuple[Sequence[Notification], int] | None:
        """The next batch's notifications from ``start``, and the position it brings the
        views to; None when nothing is left up to ``until``. A part of a split rebuild asks
        the store for its share alone where the store can tell it in the query, and else
        keeps its share of every notification read."""
        share = self.share
        if share is not None and until is not None:
            own = self.ledger.store.share_of_log(
                self.ledger.recorder, start, self.batch_size, until, share
            )
            if own is not None:
                return (own, own[-1].id) if own else None
        notifications = self.ledger.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=until
        )
        if not notifications:
            return None
        last = notifications[-1].id
        if share is not None:
            notifications = [n for n in notifications if share.holds(n.originator_id)]
        return notifications, last

    def _apply(self, notifications: Sequence[Notification], last: int) -> bool:
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
            batch = Batch(cursor)
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
            self.views.record_tracking(cursor, last)
        return True

    def _log(self, batch: Batch, notification: Notification, event: Any, known_from: str) -> str:
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

    def _advance(self, event: Subject.Event) -> tuple[Known, Touched]:
        """The event's subject brought up to the event, and the rows of the part it touched."""
        subject_id = event.originator_id
        known = self.subjects.pop(subject_id, None)
        if isinstance(event, Subject.Registered):
            subject = event.mutate(None)
            assert isinstance(subject, Subject)
            known = Known(subject)
        elif known is not None and known.subject.version == event.originator_version - 1:
            event.mutate(known.subject)
        else:
            known = Known(self.ledger.subject(subject_id, event.originator_version))
        self.subjects[subject_id] = known
        if len(self.subjects) > self.cache_size:
            self.subjects.popitem(last=False)
        return known, rows_after(known.subject, event)

    def rebuild(self, parts: int | None = None) -> int:
        """Empty the views and project the whole log again: with the indexes only reads use
        set aside meanwhile and built again at the end, in batches of at least
        ``REBUILD_BATCH`` events. A long log of a SQLite ledger is split between ``parts``
        processes (by default, as many as it pays for, up to one per core: ``split_rebuild``),
        which leave the views as they were until their rows replace them at once."""
        if parts is None:
            parts = parts_for(self.views, self.ledger.last_position())
        if parts > 1 and (position := rebuild_split(self, parts)) is not None:
            return position
        with self.indexes_set_aside():
            with self.lock:
                self.views.reset()  # after the indexes: emptying the tables is faster without
            log.info("views reset; projecting the whole log again")
            batch_size, self.batch_size = self.batch_size, max(self.batch_size, REBUILD_BATCH)
            try:
                with full_passes_held_off():
                    self.catch_up()
            finally:
                self.batch_size = batch_size
        return self.views.position()

    @contextmanager
    def indexes_set_aside(self) -> Iterator[None]:
        """The read-only indexes dropped for the length of a rebuild, and built again at its
        end however it ends. A rebuild that ends well then makes the collector's full pass it
        held off (else whatever the process does next pays for it). The subjects remembered
        go first: the pass would walk every object they hold (1.2 s after 100,000 events,
        against 0.2 s to let them go and pass over the rest), and the next event of any of
        them is read from the log and the views as after a restart."""
        with self.lock:
            self.subjects.clear()
            self.views.set_aside_indexes()
        try:
            yield
            with self.lock:
                self.subjects.clear()
            gc.collect()
        finally:
            with self.lock:
                self.views.restore_indexes()
        log.info("views rebuilt; indexes built again")
