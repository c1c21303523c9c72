"""Times as the documents write them: UTC ISO text with a ``Z``, the same whether or not the
text of an equal time was asked for before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from application.documents import iso

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))])
TIMES = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES
)


@given(st.lists(TIMES, min_size=1, max_size=20))
def test_each_time_is_written_as_its_own_isoformat(times: list[datetime]) -> None:
    for moment in times + times:  # each twice: the second read may be a remembered one
        assert iso(moment) == moment.isoformat().replace("+00:00", "Z")


def test_an_equal_time_in_another_zone_keeps_its_own_offset() -> None:
    in_utc = datetime(2021, 12, 10, 12, tzinfo=UTC)
    in_paris = datetime(2021, 12, 10, 13, tzinfo=timezone(timedelta(hours=1)))
    assert in_utc == in_paris
    assert iso(in_utc) == "2021-12-10T12:00:00Z"
    assert iso(in_paris) == "2021-12-10T13:00:00+01:00"
    assert iso(in_utc) == "2021-12-10T12:00:00Z"


def test_a_time_without_a_zone_is_written_without_one() -> None:
    assert iso(datetime(2021, 12, 10, 12)) == "2021-12-10T12:00:00"
