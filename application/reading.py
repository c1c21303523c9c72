"""Answering reads for one point in both times: ``as_of`` (effective) and ``known_at`` (recorded).

Every answer names the point it was given for: the effective time, the recorded time or log
position asked, and the log position it reflects. A read asking for a position the views
have not reached yet waits for them briefly (or, when this process keeps the views itself,
brings them up to date first), and otherwise says that the views are behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from application.changes import changes
from application.commits import Boundaries
from application.documents import history_documents, iso, subject_document
from application.ledger import Ledger
from application.linking.clusters import cluster_ref, cluster_ref_in, ever_linked_in
from application.log_positions import LogPositions
from application.now_documents import NowDocuments
from application.read_points import ReadPoint, encode_cursor, parse_known_at
from application.subject_views import SubjectViews
from application.views.conditions import MeasureFilter, SubjectFilter
from application.views.projector import ProjectionFailed, Projector
from application.views.queries import ViewQueries
from application.views.rows import stamp
from application.views.store import Cursor, ViewStore
from domain.errors import InvalidValue, LedgerError, SubjectNotFound

T = TypeVar("T")
"""What a read made at a guessed point gives back (``Reader.at_last_ends``)."""


class ViewsBehind(LedgerError):
    """The views have not reached the position the read asked for; try again shortly."""


class ViewsStalled(ViewsBehind):
    """The views stopped at an event they could not project; the operator must act."""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    point: ReadPoint


@dataclass(frozen=True)
class TextPage:
    """A page whose items are JSON texts, as the views store them: an answer can pass them
    on without decoding and encoding each again."""

    items: list[str]
    next_cursor: str | None
    point: ReadPoint


class Reader:
    """The read use cases, over the views and, for single subjects, the event store."""

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        projector: Projector,
        positions: LogPositions,
        boundaries: Boundaries,
        *,
        keeps_views: bool,
        wait_seconds: float = 2.0,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.queries = ViewQueries(views)
        self.projector = projector
        self.positions = positions
        self.boundaries = boundaries
        self.keeps_views = keeps_views
        self.wait_seconds = wait_seconds
        self.ends = ledger.store.log_ends(ledger.recorder, views)
        self.subject_views = SubjectViews(views)
        self.now_documents = NowDocuments()

    # Read points ---------------------------------------------------------------------------

    def point(
        self,
        as_of: datetime | None = None,
        known_at: str | None = None,
        min_position: int | None = None,
    ) -> ReadPoint:
        """Resolve what a read asked for into one effective time and one log position.

        The position always falls on a transaction boundary (``application.commits``), and
        the read never waits for events recorded after it began, nor longer than the
        configured wait."""
        as_of = as_of or self.ledger.clock()
        last, reached = self.ends.read()
        wanted = min_position or 0
        if wanted > last:
            raise InvalidValue(
                f"min_position {wanted} is past the end of the log ({last}): no write has "
                "answered with that position"
            )
        if known_at is None:
            position = self.reach(wanted, goal=last, current=reached)
            self.ends.saw((last, position))  # caught up: the views are at the end now
            return ReadPoint(as_of, "now", self._whole_writes(position, last))
        asked = parse_known_at(known_at)
        if isinstance(asked, int):
            if asked > last:
                raise InvalidValue(f"known_at position {asked} is past the end of the log ({last})")
            self.reach(max(asked, wanted), current=reached)
            return ReadPoint(as_of, known_at, self._whole_writes(asked, last))
        reached = self.reach(
            wanted, goal=last if asked >= self.ledger.clock() else wanted, current=reached
        )
        position = min(self.queries.position_known_at(stamp(asked)), reached)
        return ReadPoint(as_of, iso(asked), self._whole_writes(position, last))

    def _whole_writes(self, position: int, last: int) -> int:
        """``position``, or the end of the write before if it falls inside one. The end of
        the log as this read saw it is always the end of a write (a write's events become
        visible together), so the common read, at the end, asks nothing more."""
        return position if position >= last else self.boundaries.at_or_before(position)

    def pinned(self, point: ReadPoint) -> ReadPoint:
        """The point a cursor carried back, checked against the log as it stands."""
        last, reached = self.ends.read()
        if point.position > last:
            raise InvalidValue(
                "the cursor is not one this API gave out: its position is past the log"
            )
        self.reach(point.position, current=reached)
        return ReadPoint(point.as_of, point.known_at, self._whole_writes(point.position, last))

    def reach(self, needed: int, *, goal: int | None = None, current: int | None = None) -> int:
        """Make sure the views reflect at least position ``needed``, and try to bring them
        to ``goal`` (the log as it stood when the read began) within the read's wait.
        Answers the views' position; ``ViewsBehind`` if ``needed`` could not be reached.
        ``current`` is the views' position if the caller read it with the log's end."""
        goal = max(needed, goal or 0)
        if current is None:
            current = self.views.position()
        if current >= goal:
            return current
        deadline = time.monotonic() + self.wait_seconds
        if self.keeps_views:
            try:
                done = self.projector.project_until(goal, deadline)
            except ProjectionFailed as failed:
                raise ViewsStalled(
                    f"{failed.failure.describe()}; see /ready and the README's 'When the "
                    "views stop'"
                ) from None
            current = self.views.position()
            if done:
                return max(current, needed)
        else:
            while current < goal and time.monotonic() < deadline:
                time.sleep(0.05)
                current = self.views.position()
        if current < needed:
            raise ViewsBehind(
                f"the views reflect the log up to position {current}, not yet {needed}; "
                "retry in a moment"
            )
        return current

    def recorded_point(self, known_at: str | None) -> ReadPoint:
        """A side of a delta between recorded times: the ledger's list as it stood then,
        read at that same time."""
        if known_at is None:
            return self.point()
        asked = parse_known_at(known_at)
        if isinstance(asked, datetime):
            return self.point(asked, known_at)
        point = self.point(None, known_at)
        recorded = self.queries.recorded_at(point.position)
        as_of = datetime.fromisoformat(recorded) if recorded else point.as_of
        return ReadPoint(as_of, known_at, point.position)

    def delta(
        self, first: ReadPoint, second: ReadPoint, after: str, limit: int
    ) -> list[dict[str, Any]]:
        sides = ((stamp(first.as_of), first.position), (stamp(second.as_of), second.position))
        return changes(self.queries, sides[0], sides[1], after, limit)

    # Lists ----------------------------------------------------------------------------------

    def measures(
        self, point: ReadPoint, only: MeasureFilter, after: str | None, limit: int
    ) -> Page:
        items = self.queries.measures(stamp(point.as_of), point.position, only, after, limit)
        return Page(items, _next(items, "measure_id", limit, point), point)

    def subjects(
        self, point: ReadPoint, only: SubjectFilter, after: str | None, limit: int
    ) -> Page:
        """``subject_texts``, each item decoded."""
        page = self.subject_texts(point, only, after, limit)
        return Page([json.loads(text) for text in page.items], page.next_cursor, point)

    def measure_texts(
        self, point: ReadPoint, only: MeasureFilter, after: str | None, limit: int
    ) -> TextPage:
        """``measures``, its items as the views store them (the same documents)."""
        rows = self.queries.measure_texts(stamp(point.as_of), point.position, only, after, limit)
        return TextPage([text for _, text in rows], _next_key(rows, limit, point), point)

    def measure_page_now(
        self, as_of: datetime | None, only: MeasureFilter, limit: int
    ) -> TextPage | None:
        """The first page of ``measure_texts`` at ``point(as_of)``, where the views have
        reached the end of the log (no projecting, no waiting); else ``None``, and the caller
        takes the general way."""
        point = self._at_the_end(as_of)
        return None if point is None else self.measure_texts(point, only, None, limit)

    def subject_page_now(
        self, as_of: datetime | None, only: SubjectFilter, limit: int
    ) -> TextPage | None:
        """``measure_page_now``, of ``subject_texts``."""
        point = self._at_the_end(as_of)
        return None if point is None else self.subject_texts(point, only, None, limit)

    def _at_the_end(self, as_of: datetime | None) -> ReadPoint | None:
        """``point(as_of)`` where the views have reached the end of the log, else ``None``."""
        last, reached = self.ends.read()
        if reached < last:
            return None
        return ReadPoint(as_of or self.ledger.clock(), "now", last)

    def at_last_ends(self, as_of: datetime | None, read: Callable[[ReadPoint], T]) -> T | None:
        """``read`` at ``point(as_of)`` with the log's end as last seen, its statements
        checking that it still ends there and that the views are there too
        (``LogEnds.guess``): one statement where a page took two, on a store that cannot
        tell otherwise whether anything was committed since. ``None`` where the store tells
        that way, or the check failed: then read the page the usual way."""
        position = self.ends.guess()
        if position is None:
            return None
        point = ReadPoint(as_of or self.ledger.clock(), "now", position)
        with self.one_connection(), self.queries.checking(self.ends) as check:
            answer = read(point)
        return answer if check.holds_at(position) else None

    def one_connection(self) -> AbstractContextManager[None]:
        """The reads made inside (a read point, then its page) on one connection of the
        views' store, where taking one costs a round of the pool (``ViewStore``)."""
        return self.views.one_connection()

    def subject_texts(
        self, point: ReadPoint, only: SubjectFilter, after: str | None, limit: int
    ) -> TextPage:
        """``subjects``, its items assembled from the views' stored documents."""
        as_of = stamp(point.as_of)
        with self.one_connection():
            rows = self.queries.subject_texts_with_measures(
                as_of, point.position, only, after, limit
            )
        items = [with_measures(text, measures) for _, text, measures in rows]
        return TextPage(items, _next_key(rows, limit, point), point)

    # One subject ---------------------------------------------------------------------------

    def subject(self, subject_id: UUID, point: ReadPoint) -> tuple[dict[str, Any], int]:
        """The subject as known at the point's position, read at its effective time; with
        the version that answered. Composed from the views' rows, which the point's
        position never runs ahead of; replayed from the log where they cannot tell. With its
        cluster of linked subjects at the point (``application.linking``)."""
        cluster = {"cluster": cluster_ref(self.views, str(subject_id), point)}
        composed = self.subject_views.document(subject_id, point.as_of, point.position)
        if composed is not None:
            document, version = composed
            return {**document, **point.describe(), **cluster}, version
        positions = self.positions.of(subject_id)
        known = [version for version, position in positions.items() if position <= point.position]
        if not known:
            if positions:
                raise SubjectNotFound(
                    f"subject {subject_id} was not yet recorded at position {point.position}"
                )
            raise SubjectNotFound(f"no subject has the id {subject_id}")
        subject = self.ledger.subject(subject_id, max(known))
        document = subject_document(subject, point.as_of)
        return {**document, **point.describe(), **cluster}, subject.version

    def subject_now(
        self, subject_id: UUID, as_of: datetime | None, min_position: int | None = None
    ) -> tuple[dict[str, Any], int] | None:
        """The most common read, the subject at "now", in one transaction of the views:
        where they have reached the end of the log (no projecting, no waiting) and their
        rows can tell, ``subject`` at ``point(as_of, None, min_position)``; else ``None``,
        and the caller takes the general way."""
        as_of = as_of or self.ledger.clock()
        key, at = str(subject_id), stamp(as_of)
        ends = self.ends.unchanged()
        if ends is not None and ends[1] >= ends[0] and (min_position or 0) <= ends[0]:
            # Nothing committed since the ends were read: a kept document needs no transaction.
            kept = self.now_documents.get(key, ends[0], at)
            if kept is not None:
                point = ReadPoint(as_of, "now", ends[0]).describe()
                return {**kept[0], **point, "cluster": None}, kept[1]
        with self.views.transaction(commit=False) as cursor:
            last, reached = self.ends.read_in(cursor)
            if reached < last or (min_position or 0) > last:
                return None
            kept = self.now_documents.get(key, last, at)
            if kept is None:
                composed = self._compose_now(cursor, subject_id, as_of, last)
                if composed is None:
                    return None
            else:
                composed = (*kept, None)  # only subjects in no cluster are kept
        body, version, cluster = composed
        point = ReadPoint(as_of, "now", last).describe()
        return {**body, **point, "cluster": cluster}, version

    def _compose_now(
        self, cursor: Cursor, subject_id: UUID, as_of: datetime, last: int
    ) -> tuple[dict[str, Any], int, dict[str, Any] | None] | None:
        """The subject at the end of the log, its version and its cluster
        (``application.linking``), in the same transaction; kept for the next read where
        nothing but a later event or ``as_of`` leaving the stretch it holds for can change
        it."""
        composed = self.subject_views.composed_in(cursor, subject_id, as_of, last)
        if composed is None:
            return None
        body, version, window = composed
        key = str(subject_id)
        cluster = cluster_ref_in(cursor, key, stamp(as_of), last)
        if cluster is None and not ever_linked_in(cursor, key, last):
            self.now_documents.keep(key, last, window, body, version)
        return body, version, cluster

    def history(self, subject_id: UUID) -> dict[str, Any]:
        subject = self.ledger.subject(subject_id)
        positions = self.positions.of(subject_id)
        return {
            "subject_id": str(subject_id),
            "events": history_documents(subject, positions),
            "position": max(positions.values(), default=0),
        }


def with_measures(document: str, measures: list[str]) -> str:
    """A stored subject document (a JSON object) with its measures added as ``measures``."""
    if not document.endswith("}"):
        raise ValueError("a stored document is a JSON object")
    return f'{document[:-1]},"measures":[{",".join(measures)}]}}'


def _next_key(rows: Sequence[tuple[Any, ...]], limit: int, point: ReadPoint) -> str | None:
    return encode_cursor(rows[-1][0], point) if len(rows) == limit else None


def _next(items: list[dict[str, Any]], key: str, limit: int, point: ReadPoint) -> str | None:
    return encode_cursor(str(items[-1][key]), point) if len(items) == limit else None
