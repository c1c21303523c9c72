"""The geometry of a subject's bitemporal picture: pure arithmetic, no I/O, no HTML.

Effective time runs along x (when a measure is legally in force), recorded time down y
(when the ledger learned it). Recorded time is drawn as rows, one per change of the
ledger's knowledge, in log order, rather than to scale: a whole announcement is recorded
within a second and a correction may come years later, and both must stay readable. Each
measure is one band, made of one rectangle per stretch of knowledge: a rescission recorded
later starts a new, shorter rectangle on a later row, a voiding ends the band's last one, so
that a correction made later is seen below what it corrected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

WIDTH = 720
LEFT = 150
"""Room for the rows' labels (log position and recorded time)."""
RIGHT = 16
TOP = 28
"""Room for the effective time's ticks."""
LANE = 18
"""Height of one measure within a row."""
GAP = 6
"""Space between rows."""
OPEN_END = 10
"""How far past the right edge of the time axis an open-ended rectangle reaches."""


@dataclass(frozen=True)
class Segment:
    """What the ledger knew of a measure from row ``row_from`` until ``row_until``
    (exclusive; ``None``: still known at the picture's last row). It is drawn once in each
    row it covers, in its band's lane."""

    effective_from: datetime
    effective_until: datetime | None
    row_from: int
    row_until: int | None
    ended_by: str | None = None
    """``rescinded`` or ``expired`` where ``effective_until`` comes from a rescission or a
    stated end, for the rectangle's class."""


@dataclass(frozen=True)
class Band:
    measure_id: str
    label: str
    segments: tuple[Segment, ...]
    voided: bool = False
    """The measure's imposition was voided: the band stops at the voiding's row."""


@dataclass(frozen=True)
class Row:
    label: str
    detail: str


@dataclass(frozen=True)
class Rect:
    measure_id: str
    x: float
    y: float
    width: float
    height: float
    open_ended: bool
    css: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class RowLabel:
    y: float
    label: str
    detail: str


@dataclass(frozen=True)
class BandShape:
    measure_id: str
    label: str
    voided: bool
    rects: list[Rect] = field(default_factory=list)


@dataclass(frozen=True)
class Picture:
    width: int
    height: int
    bands: list[BandShape]
    rows: list[RowLabel]
    ticks: list[Tick]
    as_of_x: float | None
    axis_y: float
    left: float = LEFT


@dataclass(frozen=True)
class TimeScale:
    start: datetime
    end: datetime
    left: float
    right: float

    def x(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        share = (moment - self.start).total_seconds() / span
        return round(self.left + share * (self.right - self.left), 2)


def time_scale(bands: list[Band], as_of: datetime, width: int = WIDTH) -> TimeScale:
    """From a little before the earliest start to a little after the latest moment drawn
    (an end, a start, the read point's ``as_of``), at least a year wide."""
    moments = [as_of]
    for band in bands:
        for segment in band.segments:
            moments.append(segment.effective_from)
            if segment.effective_until is not None:
                moments.append(segment.effective_until)
    first, last = min(moments), max(moments)
    margin = max((last - first) / 10, timedelta(days=30))
    start, end = first - margin, last + margin
    if end - start < timedelta(days=365):
        end = start + timedelta(days=365)
    return TimeScale(start, end, LEFT, width - RIGHT - OPEN_END)


def year_ticks(scale: TimeScale, most: int = 8) -> list[Tick]:
    """1 January of every year (or every n-th, so that no more than ``most`` are drawn)
    within the scale; months when it spans less than two years."""
    years = list(range(scale.start.year + 1, scale.end.year + 1))
    if len(years) < 2:
        return _month_ticks(scale)
    step = max(1, -(-len(years) // most))
    return [Tick(scale.x(datetime(year, 1, 1, tzinfo=UTC)), str(year)) for year in years[::step]]


def _month_ticks(scale: TimeScale) -> list[Tick]:
    ticks: list[Tick] = []
    year, month = scale.start.year, scale.start.month
    while True:
        month += 3
        year, month = (year + 1, month - 12) if month > 12 else (year, month)
        moment = datetime(year, month, 1, tzinfo=UTC)
        if moment >= scale.end:
            return ticks
        ticks.append(Tick(scale.x(moment), moment.strftime("%Y-%m")))


def layout(bands: list[Band], rows: list[Row], as_of: datetime, width: int = WIDTH) -> Picture:
    """Where everything goes. Each row is as high as there are bands, one lane each, so that
    two measures known at once never cover each other."""
    scale = time_scale(bands, as_of, width)
    lanes = max(1, len(bands))
    row_height = lanes * LANE + GAP
    last_row = max(0, len(rows) - 1)
    shapes = []
    for lane, band in enumerate(bands):
        shape = BandShape(band.measure_id, band.label, band.voided)
        for segment in band.segments:
            until = (last_row + 1) if segment.row_until is None else segment.row_until
            for row in range(segment.row_from, max(until, segment.row_from + 1)):
                top = TOP + row * row_height + lane * LANE
                shape.rects.append(_rect(band, segment, top, scale))
        shapes.append(shape)
    labels = [
        RowLabel(TOP + index * row_height + (row_height - GAP) / 2, row.label, row.detail)
        for index, row in enumerate(rows)
    ]
    height = TOP + max(1, len(rows)) * row_height + GAP
    as_of_x = scale.x(as_of) if scale.start <= as_of <= scale.end else None
    return Picture(width, height, shapes, labels, year_ticks(scale), as_of_x, TOP - 4)


def _rect(band: Band, segment: Segment, top: float, scale: TimeScale) -> Rect:
    """One segment within one row: from its effective start to its end, or past the
    axis's right edge when it has none."""
    x0 = scale.x(segment.effective_from)
    if segment.effective_until is None:
        x1, open_ended = scale.right + OPEN_END, True
    else:
        x1, open_ended = scale.x(segment.effective_until), False
    css = "band-" + ("voided" if band.voided else segment.ended_by or "in-force")
    return Rect(
        measure_id=band.measure_id,
        x=x0,
        y=top + 2,
        width=max(2.0, round(x1 - x0, 2)),
        height=LANE - 4,
        open_ended=open_ended,
        css=css,
    )
