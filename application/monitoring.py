"""What an operator watches: how far the views lag behind the log, and what imports recorded.

Both are read from the database, not counted in one process's memory, so every API process
reports the same figures whichever process recorded or projected the events: a projection
worker of its own, or a ``ledger import`` run from cron.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from application.commits import Boundaries
from application.ledger import Ledger
from application.log_positions import LogPositions
from application.views.store import ViewStore
from domain.publications import PublicationLog
from domain.values import Authority


@dataclass(frozen=True)
class Lag:
    """How far the views are behind the log: in events, and in seconds since the oldest
    event they do not reflect yet was recorded (0 when they are up to date; ``None`` when
    that event cannot be read, which the projector reports on its own)."""

    position: int
    views_position: int
    events: int
    seconds: float | None


def views_lag(ledger: Ledger, views: ViewStore, now: datetime) -> Lag:
    views_position = views.position()
    position = ledger.last_position()
    events = max(position - views_position, 0)
    if events == 0:
        return Lag(position, views_position, 0, 0.0)
    return Lag(position, views_position, events, _age_of(ledger, views_position + 1, now))


def _age_of(ledger: Ledger, position: int, now: datetime) -> float | None:
    notifications = ledger.recorder.select_notifications(start=position, limit=1)
    if not notifications:
        return None
    try:
        event: Any = ledger.mapper.to_domain_event(notifications[0])
        recorded_at: datetime = event.timestamp
    except Exception:  # an event this version cannot read: the projector reports it
        return None
    return max((now - recorded_at).total_seconds(), 0.0)


@dataclass(frozen=True)
class ImportCount:
    publications: int
    events: int


class ImportCounts:
    """Publications imported and events their imports recorded, by authority.

    Each import is one write whose last event is the mark in the authority's publication log
    (``application.importers.importer``); the write's first position is the end of the write
    before it (``application.commits``), so its size needs no replay. A write's size never
    changes, so each is looked up once per process.
    """

    def __init__(self, positions: LogPositions, boundaries: Boundaries) -> None:
        self.positions = positions
        self.boundaries = boundaries
        self._sizes: dict[int, int] = {}
        self._lock = threading.Lock()

    def by_authority(self) -> dict[Authority, ImportCount]:
        counts: dict[Authority, ImportCount] = {}
        for authority in Authority:
            marks = self.positions.of(PublicationLog.id_for(authority))
            # Version 1 starts the log, in the same write as the first import's mark.
            imports = [position for version, position in marks.items() if version > 1]
            counts[authority] = ImportCount(len(imports), sum(map(self._size, imports)))
        return counts

    def _size(self, last: int) -> int:
        with self._lock:
            size = self._sizes.get(last)
            if size is None:
                size = self._sizes[last] = last - self.boundaries.at_or_before(last - 1)
            return size
