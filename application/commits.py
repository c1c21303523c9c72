"""Where the log's transactions begin and end, so that no read shows half of one.

One write (an action of many changes, a whole publication) stores many events in one
transaction: the ledger knew all of them at once, or none. A read point in recorded time
(``known_at=position:N``, a timestamp, or the views' own position while they catch up) may
fall between two events of one transaction; the ledger then answers as of the end of the
transaction before it, a state that really was.

The library keeps no trace of transactions, so the ledger's recorders add one in the very
transaction that stores the events: a row ``(first_position, last_position)`` for each write
of two or more events (a single event is its own transaction). Logs written before this row
existed have none, and every position in them counts as a boundary.

One database transaction may hold several writes (a group commit, see
``application.group_commit``): each write still gets its own row, over its own consecutive
positions, so a read may stop between two writes of one transaction (the state after the
first really was, since the second was checked on it) but never inside one.

This module holds what every store shares; each store's own way to record and find the rows
is in its module (``application.stores.sqlite``, ``.postgres``, ``.memory``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder

from application.stores import store_of

TABLE = "ledger_commits"


def span(positions: Sequence[int] | None) -> tuple[int, int] | None:
    """The (last, first) row to record for a write's positions, if it needs one."""
    if not positions or len(positions) < 2:
        return None
    return max(positions), min(positions)


def spans(positions: Sequence[int], sizes: Sequence[int]) -> list[tuple[int, int]]:
    """The rows to record for consecutive writes of ``sizes`` events each, stored at
    ``positions`` in order; writes past the positions given were not stored."""
    rows: list[tuple[int, int]] = []
    start = 0
    for size in sizes:
        recorded = span(positions[start : start + size])
        if recorded is not None:
            rows.append(recorded)
        start += size
    return rows


def boundary(position: int, first_of_next: int | None) -> int:
    """``position`` itself, or the end of the transaction before, if ``position`` falls
    inside the transaction that starts at ``first_of_next``."""
    if first_of_next is not None and first_of_next <= position:
        return first_of_next - 1
    return position


class Boundaries(Protocol):
    def at_or_before(self, position: int) -> int:
        """The last transaction boundary at or before ``position``."""
        ...


def boundaries(recorder: ApplicationRecorder) -> Boundaries:
    """The transaction boundaries of the log a recorder keeps."""
    return store_of(recorder).boundaries(recorder)
