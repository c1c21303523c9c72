"""One subject's document composed from the views, without replaying its events.

The projector has already turned the subject into rows: its profile over each stretch of
effective time (``profile_segments``), each measure over each stretch it is in force
(``measure_segments``), and its events' versions, positions and times (``ledger_log``). For a
point the views have reached, three indexed lookups of those rows give the document
``application.documents.subject_document`` would build from a replay, field for field.

The rows hold what a measure reads like while in force; a few states they cannot tell
exactly, and the reader then replays the subject instead (``None`` below says so):

- a voided event (the rows then reflect a fold the log alone does not show);
- a measure never in force (rescinded at the instant it took effect): it has no row;
- two profile changes at the same earliest effective time (before it, the earliest recorded
  one holds, which no row keeps);
- a measure not in force at ``as_of`` on a subject whose measures were amended (an
  amendment may take effect at the measure's start or after its end, which no row keeps);
- text shown with U+FFFD where the log holds what a store could not (see the README's
  "When the views stop").
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from application.documents import iso
from application.now_documents import Window
from application.views.rows import stamp
from application.views.store import Cursor, Row, ViewStore
from domain.state import status_at

PROFILE_CHANGES = ("registered", "profile-amended")
IMPOSITIONS = ("designated", "visa-banned", "investment-restricted")

MEASURE_FIELDS = (
    "measure_id",
    "subject_id",
    "kind",
    "authority",
    "programs",
    "legal_basis",
    "covers_family",
    "divestment_deadline",
    "details",
    "effective_from",
    "effective_until",
    "rescinded_at",
)
MEASURE_TAIL = ("imposed_by", "rescinded_by", "source", "reason")

LOG = (
    "SELECT version, position, event_type, recorded_at FROM ledger_log "
    "WHERE aggregate_id = ? AND position <= ? ORDER BY version"
)


RECORDED = "{t}.rec_from <= ? AND ({t}.rec_to IS NULL OR {t}.rec_to > ?)"
"""The recorded half of the views' condition (``application.views.queries.VALID``): every
row known at the position, whatever its effective period, since the rows must also tell
whether they can answer at all."""

PROFILES = (
    "SELECT p.eff_from, p.eff_to, p.document FROM profile_segments p WHERE p.subject_id = ? "
    "AND " + RECORDED.format(t="p")
)
MEASURES = (
    "SELECT m.measure_id, m.eff_from, m.eff_to, m.document FROM measure_segments m "
    "WHERE m.subject_id = ? AND " + RECORDED.format(t="m")
)


SegmentRows = tuple[list[Row], list[Row]]


class SubjectViews:
    """Subjects' documents from the views, keeping the segment rows of the subjects last
    read. A subject's rows known at a position change only with its own events, and never
    once the views have passed them (a row is only ever closed at a later position): the
    rows of the subject after its n-th event are the same at every position until its
    next, so they are kept by subject and version, and a read while the subject does not
    change asks the views only for the subject's log."""

    def __init__(self, views: ViewStore, kept: int = 2048) -> None:
        self.views = views
        self.kept = kept
        self._segments: OrderedDict[tuple[str, int], SegmentRows] = OrderedDict()
        self._lock = threading.Lock()

    def document(
        self, subject_id: UUID, as_of: datetime, position: int
    ) -> tuple[dict[str, Any], int] | None:
        """The subject known at ``position`` and read at ``as_of``, with its version; or
        ``None`` where the rows cannot tell (the caller replays then), including a subject
        the views hold no event of at that position."""
        with self.views.transaction(commit=False) as cursor:
            return self.document_in(cursor, subject_id, as_of, position)

    def document_in(
        self, cursor: Cursor, subject_id: UUID, as_of: datetime, position: int
    ) -> tuple[dict[str, Any], int] | None:
        """``document``, in a transaction of the views already open."""
        composed = self.composed_in(cursor, subject_id, as_of, position)
        return None if composed is None else (composed[0], composed[1])

    def composed_in(
        self, cursor: Cursor, subject_id: UUID, as_of: datetime, position: int
    ) -> tuple[dict[str, Any], int, Window] | None:
        """``document_in``, with the stretch of effective time around ``as_of`` over which
        the document stays the same (``application.now_documents``)."""
        key = str(subject_id)
        cursor.execute(LOG, (key, position))
        log = cursor.fetchall()
        if not log:
            return None
        profiles, measures = self._segments_of(cursor, key, int(log[-1]["version"]), position)
        composed = _compose(log, profiles, measures, as_of)
        if composed is None:
            return None
        return composed[0], composed[1], _window([*profiles, *measures], measures, stamp(as_of))

    def _segments_of(self, cursor: Cursor, key: str, version: int, position: int) -> SegmentRows:
        """The subject's profile and measure rows known at ``position``, where ``version``
        is its last event at or before it."""
        with self._lock:
            found = self._segments.get((key, version))
            if found is not None:
                self._segments.move_to_end((key, version))
                return found
        cursor.execute(PROFILES, (key, position, position))
        profiles = cursor.fetchall()
        cursor.execute(MEASURES, (key, position, position))
        read = profiles, cursor.fetchall()
        with self._lock:
            self._segments[(key, version)] = read
            while len(self._segments) > self.kept:
                self._segments.popitem(last=False)
        return read


def _compose(
    log: list[Row], profiles: list[Row], measures: list[Row], as_of: datetime
) -> tuple[dict[str, Any], int] | None:
    types = Counter(str(row["event_type"]) for row in log)
    if types["voided"] or int(log[0]["version"]) != 1:
        return None
    if len(profiles) != sum(types[t] for t in PROFILE_CHANGES):
        return None
    at = stamp(as_of)
    profile = next((row for row in profiles if _holds(row, at)), None)
    if profile is None or "\ufffd" in profile["document"]:
        return None
    segments: dict[str, list[Row]] = {}
    for row in measures:
        segments.setdefault(str(row["measure_id"]), []).append(row)
    if len(segments) != sum(types[t] for t in IMPOSITIONS):
        return None
    documents = []
    for measure_id in sorted(segments, key=_measure_number):
        document = _measure(segments[measure_id], at, as_of, amended=bool(types["measure-amended"]))
        if document is None:
            return None
        documents.append(document)
    head = _decoded(profile["document"])
    last = log[-1]
    version = int(last["version"])
    return {
        "subject_id": head["subject_id"],
        "kind": head["kind"],
        "version": version,
        "references": head["references"],
        "profile": head["profile"],
        "measures": documents,
        "registered_at": _iso(log[0]["recorded_at"]),
        "updated_at": _iso(last["recorded_at"]),
    }, version


def _window(rows: list[Row], measures: list[Row], at: str) -> Window:
    """The stretch around ``at`` between the two nearest times at which what ``_compose``
    reads at ``as_of`` changes: a row beginning or ending, a measure taking effect, expiring
    or being rescinded. Every test ``_compose`` makes of ``as_of`` asks whether it comes
    before one of these times, and has the same answer throughout the stretch."""
    times = {str(row["eff_from"]) for row in rows}
    times.update(str(row["eff_to"]) for row in rows if row["eff_to"] is not None)
    for row in measures:
        stored = _decoded(row["document"])
        for name in ("effective_from", "effective_until", "rescinded_at"):
            if stored[name] is not None:
                times.add(stamp(datetime.fromisoformat(stored[name])))
    starts = max((time for time in times if time <= at), default="")
    return starts, min((time for time in times if time > at), default=None)


def _measure(rows: list[Row], at: str, as_of: datetime, *, amended: bool) -> dict[str, Any] | None:
    """One measure read at ``as_of``: the terms of the stretch holding then, or, before or
    after the measure is in force, of its first or last stretch."""
    rows = sorted(rows, key=lambda row: str(row["eff_from"]))
    chosen = next((row for row in rows if _holds(row, at)), None)
    if chosen is None:
        if amended:
            return None
        chosen = rows[0] if at < str(rows[0]["eff_from"]) else rows[-1]
    if "\ufffd" in chosen["document"]:
        return None
    stored = _decoded(chosen["document"])
    document = {name: stored[name] for name in MEASURE_FIELDS}
    status = _status(stored, as_of)
    document["status"] = status
    document["in_force"] = status == "in_force"
    for name in MEASURE_TAIL:
        document[name] = stored[name]
    return document


def _status(stored: dict[str, Any], at: datetime) -> str:
    """The measure's status at ``at``, from the times its stored document holds."""
    starts = datetime.fromisoformat(stored["effective_from"])
    until, rescinded = _moment(stored["effective_until"]), _moment(stored["rescinded_at"])
    return status_at(at, starts, until, rescinded).value


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _holds(row: Row, at: str) -> bool:
    eff_to = row["eff_to"]
    return str(row["eff_from"]) <= at and (eff_to is None or at < str(eff_to))


def _decoded(document: str) -> Any:
    """A stored document, decoded by ``orjson`` (a third of the standard library's time):
    the views store text and whole numbers only. Text it refuses (a lone surrogate, which
    no write lets in today) is left to the standard library."""
    try:
        return orjson.loads(document)
    except orjson.JSONDecodeError:
        return json.loads(document)


def _measure_number(measure_id: str) -> int:
    return int(measure_id.rsplit(".", 1)[-1])


def _iso(recorded: str) -> str:
    """A stamp from the log (always six decimals) as the documents write times."""
    return iso(datetime.fromisoformat(recorded))
