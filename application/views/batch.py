"""The changes one batch of the projector makes to the views, and the rows it remembers.

For each event, a batch closes the open rows of the touched part of a subject that the event
ended and opens its new ones (``Batch.refresh``), comparing digests with the rows the
projector remembers for the subject (``Known``), or else reads from the views. Rows opened and
closed within the batch are written once, closed; the rest is written at the batch's end with
a few batched statements (``Batch.flush``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from application.views.rows import MeasureRow, ProfileRow, Touched
from application.views.store import Cursor
from domain.subject import Subject
from domain.text import REPLACEMENT, UNACCEPTABLE

INSERT_LOG = (
    "INSERT INTO ledger_log (position, aggregate_id, version, event_type, subject_event, "
    "recorded_at, known_from) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_MEASURE = (
    "INSERT INTO measure_segments (measure_id, eff_from, rec_from, eff_to, rec_to, subject_id, "
    "authority, kind, subject_kind, programs, digest, terms_digest, document) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_MEASURE = (
    "UPDATE measure_segments SET rec_to = ? WHERE measure_id = ? AND eff_from = ? AND rec_from = ?"
)
INSERT_PROFILE = (
    "INSERT INTO profile_segments (subject_id, eff_from, rec_from, eff_to, rec_to, kind, "
    "primary_name, countries, refs, digest, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_PROFILE = (
    "UPDATE profile_segments SET rec_to = ? WHERE subject_id = ? AND eff_from = ? AND rec_from = ?"
)
INSERT_NAME = (
    "INSERT INTO name_segments (subject_id, eff_from, rec_from, ordinal, eff_to, rec_to, name, "
    "name_type, normalized) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_NAMES = (
    "UPDATE name_segments SET rec_to = ? WHERE subject_id = ? AND eff_from = ? AND rec_from = ?"
)
OPEN_MEASURES = (
    "SELECT measure_id, eff_from, rec_from, digest FROM measure_segments "
    "WHERE subject_id = ? AND rec_to IS NULL"
)
OPEN_PROFILES = (
    "SELECT subject_id, eff_from, rec_from, digest FROM profile_segments "
    "WHERE subject_id = ? AND rec_to IS NULL"
)

Key = tuple[str, str, int]
"""A row's primary key: (measure or subject id, eff_from, rec_from)."""


def storable(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Rows whose text every store can hold. The ledger refuses such text on the way in;
    this keeps an event recorded before it did (or by another tool) from stopping the views
    for good, as NUL does in PostgreSQL. The log keeps the text as recorded."""
    return [_storable_row(row) for row in rows]


PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
"""What ``str.isprintable`` accepts of ASCII: every byte from space to tilde."""


def _storable_row(row: Sequence[Any]) -> list[Any]:
    text = "".join([value for value in row if isinstance(value, str)])
    if text.isascii() and not text.encode("ascii").translate(None, PRINTABLE_ASCII):
        # Nearly every row: one check for all of it. Deleting the printable bytes and
        # finding none left is ``text.isprintable()`` for ASCII text, in a third of the
        # time (a row holds its document, a kilobyte or more).
        return list(row)
    return [_storable_value(value) for value in row]


def _storable_value(value: Any) -> Any:
    # Printable ASCII, nearly every value, holds nothing to replace: two C-speed checks.
    if not isinstance(value, str) or (value.isascii() and value.isprintable()):
        return value
    return UNACCEPTABLE.sub(REPLACEMENT, value)


@dataclass
class Known:
    """A subject as the projector last saw it, and the view rows it left open for it.

    ``open_version`` is the subject version those rows reflect (None until they are read
    from the views): rows derived from the log are the same whichever projector wrote them,
    so rows that reflect the version just before an event are the views' rows, and need not
    be read again."""

    subject: Subject
    open_version: int | None = None
    measures: dict[str, dict[str, Key]] = field(default_factory=dict)
    """Open measure rows: measure id -> digest -> key."""
    profiles: dict[str, Key] = field(default_factory=dict)
    """Open profile rows: digest -> key."""


@dataclass
class Batch:
    """The changes one batch makes, written with a few statements at its end."""

    cursor: Cursor
    new_measures: dict[Key, list[Any]] = field(default_factory=dict)
    new_profiles: dict[Key, tuple[list[Any], ProfileRow]] = field(default_factory=dict)
    closed_measures: list[tuple[int, str, str, int]] = field(default_factory=list)
    closed_profiles: list[tuple[int, str, str, int]] = field(default_factory=list)
    log_rows: list[tuple[Any, ...]] = field(default_factory=list)
    seen: dict[str, Known] = field(default_factory=dict)
    """The subjects of the batch's events so far."""

    def refresh(self, known: Known, touched: Touched, position: int) -> None:
        """Close the open rows of the touched part that the event ended, open its new ones."""
        if known.open_version != touched.version - 1:
            earlier = self.seen.get(touched.subject_id)
            if earlier is not None and earlier.open_version == touched.version - 1:
                # Forgotten since an earlier event of this batch: the views do not hold
                # that event's rows yet, the batch does.
                known.measures, known.profiles = earlier.measures, earlier.profiles
            else:
                self._load_open(known, touched.subject_id, fresh=touched.version == 1)
        self.seen[touched.subject_id] = known
        if touched.measure_id is not None:
            self._refresh_measure(known, touched.measure_id, touched.measures, position)
        else:
            by_measure: dict[str, dict[str, MeasureRow]] = {}
            for digest, row in touched.measures.items():
                by_measure.setdefault(row.measure_id, {})[digest] = row
            for measure_id in known.measures.keys() | by_measure.keys():
                self._refresh_measure(known, measure_id, by_measure.get(measure_id, {}), position)
        if touched.profiles is not None:
            self._refresh_profiles(known.profiles, touched.profiles, position)
        known.open_version = touched.version

    def _load_open(self, known: Known, subject_id: str, *, fresh: bool) -> None:
        known.measures, known.profiles = {}, {}
        if fresh:
            return
        self.cursor.execute(OPEN_MEASURES, (subject_id,))
        for row in self.cursor.fetchall():
            key = (row["measure_id"], row["eff_from"], int(row["rec_from"]))
            known.measures.setdefault(row["measure_id"], {})[row["digest"]] = key
        self.cursor.execute(OPEN_PROFILES, (subject_id,))
        for row in self.cursor.fetchall():
            known.profiles[row["digest"]] = (
                row["subject_id"],
                row["eff_from"],
                int(row["rec_from"]),
            )

    def _refresh_measure(
        self, known: Known, measure_id: str, rows: dict[str, MeasureRow], position: int
    ) -> None:
        open_rows = known.measures.setdefault(measure_id, {})
        for gone in [digest for digest in open_rows if digest not in rows]:
            key = open_rows.pop(gone)
            if key in self.new_measures:
                self.new_measures[key][4] = position
            else:
                self.closed_measures.append((position, *key))
        for digest, row in rows.items():
            if digest in open_rows:
                continue
            key = (row.measure_id, row.eff_from, position)
            open_rows[digest] = key
            self.new_measures[key] = [
                row.measure_id, row.eff_from, position, row.eff_to, None, row.subject_id,
                row.authority, row.kind, row.subject_kind, row.programs, row.digest,
                row.terms_digest, row.document,
            ]  # fmt: skip
        if not open_rows:
            del known.measures[measure_id]

    def _refresh_profiles(
        self, open_rows: dict[str, Key], rows: dict[str, ProfileRow], position: int
    ) -> None:
        for gone in [digest for digest in open_rows if digest not in rows]:
            key = open_rows.pop(gone)
            if key in self.new_profiles:
                self.new_profiles[key][0][4] = position
            else:
                self.closed_profiles.append((position, *key))
        for digest, row in rows.items():
            if digest in open_rows:
                continue
            key = (row.subject_id, row.eff_from, position)
            open_rows[digest] = key
            values = [
                row.subject_id, row.eff_from, position, row.eff_to, None, row.kind,
                row.primary_name, row.countries, row.refs, row.digest, row.document,
            ]  # fmt: skip
            self.new_profiles[key] = (values, row)

    def flush(self) -> None:
        cursor = self.cursor
        cursor.executemany(INSERT_LOG, self.log_rows)
        cursor.executemany(INSERT_MEASURE, storable(self.new_measures.values()))
        cursor.executemany(CLOSE_MEASURE, self.closed_measures)
        cursor.executemany(
            INSERT_PROFILE, storable(values for values, _ in self.new_profiles.values())
        )
        cursor.executemany(INSERT_NAME, storable(self._name_rows()))
        cursor.executemany(CLOSE_PROFILE, self.closed_profiles)
        cursor.executemany(CLOSE_NAMES, self.closed_profiles)

    def _name_rows(self) -> Any:
        for values, row in self.new_profiles.values():
            for ordinal, (name, name_type, normalized) in enumerate(row.names):
                yield (
                    row.subject_id, row.eff_from, values[2], ordinal, row.eff_to, values[4],
                    name, name_type, normalized,
                )  # fmt: skip
