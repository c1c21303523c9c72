"""The bitemporal picture's geometry: where each band, row and tick goes."""

from __future__ import annotations

from datetime import UTC, datetime

from api.ui.bitemporal import LANE, OPEN_END, TOP, Band, Row, Segment, layout, time_scale


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ROWS = [Row("2021-12-10", "#1 designated"), Row("2022-05-01", "#9 rescinded")]
RESCINDED = Band(
    "s.1",
    "US-OFAC designation",
    (
        Segment(day("2021-12-10"), None, 0, 1),
        Segment(day("2021-12-10"), day("2022-04-01"), 1, None, "rescinded"),
    ),
)


def test_a_band_starts_at_its_effective_start_and_open_ends_run_past_the_axis() -> None:
    picture = layout([RESCINDED], ROWS, day("2022-01-01"))
    scale = time_scale([RESCINDED], day("2022-01-01"))
    first, later = picture.bands[0].rects
    assert first.x == later.x == scale.x(day("2021-12-10"))
    assert first.open_ended and first.x + first.width == scale.right + OPEN_END
    assert not later.open_ended
    assert later.x + later.width == scale.x(day("2022-04-01"))


def test_a_correction_recorded_later_is_drawn_lower_and_shorter() -> None:
    picture = layout([RESCINDED], ROWS, day("2022-01-01"))
    first, later = picture.bands[0].rects
    assert later.y > first.y and later.width < first.width
    assert (first.css, later.css) == ("band-in-force", "band-rescinded")
    assert [label.y for label in picture.rows] == sorted(label.y for label in picture.rows)


def test_each_measure_has_a_lane_of_its_own_in_every_row() -> None:
    other = Band("s.2", "UK designation", (Segment(day("2022-02-01"), None, 1, None),))
    picture = layout([RESCINDED, other], ROWS, day("2022-01-01"))
    by_row: dict[float, list[str]] = {}
    for band in picture.bands:
        for rect in band.rects:
            by_row.setdefault(rect.y, []).append(band.measure_id)
    assert all(len(ids) == 1 for ids in by_row.values())
    [rect] = picture.bands[1].rects
    assert rect.y == TOP + 1 * (2 * LANE + 6) + LANE + 2  # row 1, lane 1
    assert picture.height > rect.y + rect.height


def test_a_voided_band_stops_at_its_voiding() -> None:
    voided = Band("s.1", "x", (Segment(day("2021-12-10"), None, 0, 1),), voided=True)
    picture = layout([voided], ROWS, day("2022-01-01"))
    assert [rect.css for rect in picture.bands[0].rects] == ["band-voided"]


def test_the_time_axis_spans_every_moment_drawn_and_at_least_a_year() -> None:
    scale = time_scale([RESCINDED], day("2021-12-10"))
    assert scale.start < day("2021-12-10") and scale.end >= day("2022-04-01")
    assert (scale.end - scale.start).days >= 365
    long = Band("s.3", "x", (Segment(day("1999-01-01"), day("2030-01-01"), 0, None),))
    picture = layout([long], ROWS[:1], day("2021-12-10"))
    assert 2 <= len(picture.ticks) <= 8
    assert [t.x for t in picture.ticks] == sorted(t.x for t in picture.ticks)
    assert picture.as_of_x is not None
