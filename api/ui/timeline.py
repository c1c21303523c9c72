"""What a subject's bitemporal picture shows, read from the subject's own history.

The ledger keeps every version of a subject, so what it knew of each measure after each of
the subject's events is the subject replayed to that version. Every version that changed
what was known of some measure (a measure imposed, rescinded, amended to a new end, or
voided) becomes a row of the picture; each measure's stretches of unchanged knowledge become
the segments of its band (``api.ui.bitemporal``). Only versions recorded at or before the
page's read point are read: the picture answers for the same point as the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from api.ui.bitemporal import Band, Row, Segment
from application.documents import iso
from application.reading import Reader
from application.receipts import event_type
from domain.state import MeasureState

MOST_VERSIONS = 200
"""A subject replayed once per version: past this many, only the latest are drawn."""

Known = tuple[datetime, datetime | None, str | None]
"""What was known of one measure: its effective start, its end, and what ended it."""


@dataclass(frozen=True)
class Timeline:
    bands: list[Band]
    rows: list[Row]


def timeline(reader: Reader, subject_id: UUID, position: int) -> Timeline:
    """The rows and bands of the subject's picture as known at log ``position``.
    Blocking: call it in the request's worker-thread call."""
    positions = reader.positions.of(subject_id)
    versions = sorted(v for v, p in positions.items() if p <= position)[-MOST_VERSIONS:]
    rows: list[Row] = []
    opened: dict[str, tuple[Known, int]] = {}
    labels: dict[str, str] = {}
    segments: dict[str, list[Segment]] = {}
    voided: set[str] = set()
    for version in versions:
        subject = reader.ledger.subject(subject_id, version)
        now = _knowledge(subject.state.measures.values())
        for measure in subject.state.measures.values():
            labels[measure.id] = f"{measure.authority} {measure.kind}"
        changed = {m for m in now.keys() | opened.keys() if now.get(m) != _known(opened, m)}
        if not changed:
            continue
        row = len(rows)
        event = subject.events[-1]
        recorded = iso(event.timestamp)[:16].replace("T", " ")
        rows.append(Row(f"#{positions[version]} {recorded}", event_type(event)))
        for measure_id in sorted(changed):
            if measure_id in opened:
                (start, end, ended_by), first_row = opened.pop(measure_id)
                segments[measure_id].append(Segment(start, end, first_row, row, ended_by))
            if measure_id in now:
                opened[measure_id] = (now[measure_id], row)
                segments.setdefault(measure_id, [])
                voided.discard(measure_id)
            else:
                voided.add(measure_id)
    for measure_id, ((start, end, ended_by), first_row) in opened.items():
        segments[measure_id].append(Segment(start, end, first_row, None, ended_by))
    bands = [
        Band(measure_id, labels[measure_id], tuple(found), measure_id in voided)
        for measure_id, found in sorted(segments.items(), key=lambda item: _number(item[0]))
    ]
    return Timeline(bands, rows)


def _knowledge(measures: Iterable[MeasureState]) -> dict[str, Known]:
    known: dict[str, Known] = {}
    for measure in measures:
        ended_by = None
        if measure.rescinded_at is not None and measure.end == measure.rescinded_at:
            ended_by = "rescinded"
        elif measure.effective_until is not None:
            ended_by = "expired"
        known[measure.id] = (measure.effective_from, measure.end, ended_by)
    return known


def _known(opened: dict[str, tuple[Known, int]], measure_id: str) -> Known | None:
    found = opened.get(measure_id)
    return None if found is None else found[0]


def _number(measure_id: str) -> int:
    return int(measure_id.rsplit(".", 1)[-1])
