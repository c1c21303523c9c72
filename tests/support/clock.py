"""A clock the tests set by hand, so that recorded times are part of a test's story."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime | str) -> None:
        self.now = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class SecondsClock:
    """A clock of seconds since the epoch, as the idempotency store reads time."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now
