"""Helpers to look at a ledger's store from a test."""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Recording

from application.ledger import Ledger


def log_dump(ledger: Ledger) -> list[tuple[int, str, int, str, bytes]]:
    """Every stored event, byte for byte, in log order."""
    rows: list[tuple[int, str, int, str, bytes]] = []
    start = 1
    while page := ledger.recorder.select_notifications(start=start, limit=500):
        rows.extend(
            (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state))
            for n in page
        )
        start = page[-1].id + 1
    return rows


class RecordingLedger(Ledger):
    """A ledger that keeps a copy of every aggregate exactly as it was saved."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved: dict[tuple[UUID, int], Any] = {}

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        for aggregate in objs:
            self.saved[(aggregate.id, aggregate.version)] = copy.deepcopy(aggregate)
        return recordings

    def _store(self, staged: list[Any]) -> list[int]:
        """The writes of a group commit, stored together."""
        positions = super()._store(staged)
        for write in staged:
            for aggregate in write.aggregates:
                self.saved[(aggregate.id, aggregate.version)] = copy.deepcopy(aggregate)
        return positions
