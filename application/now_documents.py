"""Subjects read at the end of the log, kept composed while nothing they show can change.

A subject read at now (``Reader.subject_now``) is composed from its view rows: a read
transaction, the subject's log, its rows decoded and measured against ``as_of``, its cluster
walked. Until the next event is recorded, and while ``as_of`` stays between the same two of
the subject's effective boundaries (a measure starting, ending or being rescinded, a profile
changing), every such read composes the same document. This keeps that document, by subject,
with the log position it was composed at and the stretch of effective time it holds for, so
that a repeated read only asks the log's end.

What is kept is forgotten as soon as the log moves on (any event anywhere may be a link that
puts the subject in a cluster, or an event of its own), and the least recently read subjects
are forgotten first. A subject that has ever been linked is not kept: its cluster has
boundaries of its own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

Window = tuple[str, str | None]
"""A stretch of effective time as the views write it (``rows.stamp``): from the first,
inclusive, until the second, exclusive, or for ever."""


@dataclass(frozen=True)
class _Kept:
    window: Window
    document: dict[str, Any]
    version: int


class NowDocuments:
    """Composed documents of the subjects last read, all for one log position."""

    def __init__(self, kept: int = 4096) -> None:
        self.kept = kept
        self._position = 0
        self._documents: OrderedDict[str, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, subject_id: str, position: int, at: str) -> tuple[dict[str, Any], int] | None:
        """The subject's document composed at ``position`` for an ``as_of`` of ``at``, and
        its version; ``None`` when none is kept for them."""
        with self._lock:
            if position != self._position:
                return None
            kept = self._documents.get(subject_id)
            if kept is None:
                return None
            starts, ends = kept.window
            if at < starts or (ends is not None and at >= ends):
                return None
            self._documents.move_to_end(subject_id)
            return kept.document, kept.version

    def keep(
        self, subject_id: str, position: int, window: Window, document: dict[str, Any], version: int
    ) -> None:
        """Keep a document composed at ``position``, which holds over ``window``. A later
        position forgets everything kept before it; an earlier one (a read that began before
        the latest event) is not kept."""
        with self._lock:
            if position < self._position:
                return
            if position > self._position:
                self._documents.clear()
                self._position = position
            self._documents[subject_id] = _Kept(window, document, version)
            self._documents.move_to_end(subject_id)
            while len(self._documents) > self.kept:
                self._documents.popitem(last=False)
