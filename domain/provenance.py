"""Who records an event and when, and the sanity check on the dates they give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import ImplausibleDate
from domain.values import Actor, Source

EARLIEST_PLAUSIBLE = datetime.fromisoformat("1945-01-01T00:00:00+00:00")
FURTHEST_PLAUSIBLE_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class Provenance:
    """Who records an event, when, on what authority and why."""

    recorded_by: Actor
    recorded_at: datetime
    source: Source | None = None
    reason: str | None = None


def check_plausible(moment: datetime, recorded_at: datetime, *, confirmed: bool, what: str) -> None:
    """Refuse effective dates that are almost always typing mistakes, unless confirmed."""
    if confirmed:
        return
    if moment < EARLIEST_PLAUSIBLE:
        raise ImplausibleDate(
            f"{what} {moment.isoformat()} is before 1945; "
            "set confirm_unusual_dates to record it anyway"
        )
    if moment > recorded_at + FURTHEST_PLAUSIBLE_AHEAD:
        raise ImplausibleDate(
            f"{what} {moment.isoformat()} is more than a year ahead; "
            "set confirm_unusual_dates to record it anyway"
        )
