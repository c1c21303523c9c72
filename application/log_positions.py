"""Where a subject's events stand in the global log.

The library gives every stored event a position in the application's log but offers no call
to ask for one aggregate's positions; each store asks its database directly, through the
recorder's own connection and table (see ``application.stores``). They let a subject's
history show positions, and a read pinned to a log position find the subject's version at
that point, without waiting for any projection.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class LogPositions(Protocol):
    def of(self, subject_id: UUID) -> dict[int, int]:
        """Each version of the subject mapped to its event's position in the log."""
        ...
