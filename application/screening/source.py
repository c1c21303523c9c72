"""The names index follows the views: built from their profiles, refreshed as they advance.

The index is held in memory by every process that screens, and built from the views'
``profile_segments`` rows, each of which already says over which effective period and which
recorded period (log positions) a subject had a profile. So the index needs no replay to
answer as of any point in both times, and it is exactly as durable, rebuildable and checkable
as the views themselves: a process killed at any moment loses only its memory, and builds the
index again from the views when it starts. ``ledger rebuild`` rebuilds the views; every
process's index then follows them.

A refresh reads only the rows that changed since the index's position: rows recorded after
it, and rows whose recorded period was closed after it (the views close a row by setting its
``rec_to``; the index then receives the same key again, closed).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from typing import Any

from application.screening.index import NamesIndex
from application.screening.model import ProfileRecord
from application.views.store import ViewStore

ROWS = "SELECT subject_id, eff_from, rec_from, eff_to, rec_to, kind, document FROM profile_segments"
CHANGED = f"{ROWS} WHERE rec_from > ? OR rec_to > ?"


def record_of(row: Any) -> ProfileRecord:
    """A profile row of the views as the index takes it."""
    document = json.loads(row["document"])
    profile = document["profile"]
    countries = [*profile.get("nationalities", ())]
    countries += [a["country"] for a in profile.get("addresses", ()) if a.get("country")]
    return ProfileRecord(
        key=(row["subject_id"], row["eff_from"], int(row["rec_from"])),
        subject_id=row["subject_id"],
        kind=row["kind"],
        names=tuple((name["value"], name["type"]) for name in profile.get("names", ())),
        birth_dates=tuple(profile.get("birth_dates", ())),
        countries=tuple(dict.fromkeys(countries)),
        identifiers=tuple(
            (identifier["kind"], identifier["value"])
            for identifier in profile.get("identifiers", ())
        ),
        eff_from=row["eff_from"],
        eff_to=row["eff_to"],
        rec_from=int(row["rec_from"]),
        rec_to=None if row["rec_to"] is None else int(row["rec_to"]),
    )


class IndexedViews:
    """A names index kept in step with the views of one ledger."""

    def __init__(self, views: ViewStore) -> None:
        self.views = views
        self.index = NamesIndex()
        self.position = -1
        """The views' position the index reflects (-1: not built yet)."""
        self._refreshing = threading.Lock()

    def reflecting(self, position: int) -> NamesIndex:
        """The index, brought up to the views' position if it is behind ``position``."""
        if self.position < position:
            self.refresh()
        return self.index

    def refresh(self) -> int:
        """Take in what the views changed since the index's position; the new position."""
        with self._refreshing:
            # The views' position first: rows read after it may reach beyond it (taken in
            # again by the next refresh, which changes nothing), but never fall short of it.
            reached = self.views.position()
            with self.views.transaction(commit=False, snapshot=True) as cursor:
                if self.position < 0:
                    cursor.execute(ROWS)
                else:
                    cursor.execute(CHANGED, (self.position, self.position))
                rows = cursor.fetchall()
            self._put(record_of(row) for row in rows)
            self.position = max(self.position, reached)
            return self.position

    def _put(self, records: Iterable[ProfileRecord]) -> None:
        for record in records:
            self.index.put(record)
