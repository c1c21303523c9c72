"""A subject as the rows of the bitemporal views.

Given the subject as the ledger knows it after one of its events, these functions give every
row that should be open now: one per stretch of effective time over which a measure is in
force unchanged, and one per stretch over which the profile is unchanged. Each row carries a
digest of its content, so a projector can tell which open rows an event closed and which it
opened by comparing digests.

An event changes only part of a subject's rows, and ``rows_after`` derives just that part:
a measure's own events (its imposition, amendments and rescission) touch that measure's
rows alone, since no other measure's rows and no profile row read anything of it. A
registration, a profile amendment and a voiding (which folds the state again) may touch
everything.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from application.documents import measure_recorded, measure_stated, plain, profile_document
from application.views.json_text import (
    canonical,
    canonical_and_compact,
    canonical_and_compact_with_part,
)
from application.views.schema import BEGINNING
from domain.state import MeasureState, Segment, value_at
from domain.subject import Subject
from domain.values import Profile


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text that sorts as time does."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond:06d}Z"
    )


@functools.lru_cache(maxsize=16_384)
def effective_stamp(moment: datetime) -> str:
    """``stamp`` of an effective time: the same few dates bound the stretches of many rows
    (a recorded time, nearly always new, takes ``stamp`` itself)."""
    return stamp(moment)


def effective_stamp_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else effective_stamp(moment)


_ASCII_PUNCTUATION = {c: " " for c in range(128) if not chr(c).isalnum()}


def normalize(name: str) -> str:
    """A name reduced for matching: no accents, no case, no punctuation, single spaces."""
    if name.isascii():  # most names: nothing to decompose, and one table for the rest
        return " ".join(name.lower().translate(_ASCII_PUNCTUATION).split())
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in letters).split())


def _digest_of(canonical_text: bytes) -> str:
    return hashlib.sha256(canonical_text).hexdigest()[:32]


def bar_list(values: list[str]) -> str:
    """Values as ``|a|b|``, so that ``LIKE '%|a|%'`` finds one exactly."""
    return "|" + "|".join(values) + "|" if values else ""


@dataclass(frozen=True)
class Touched:
    """The open rows an event's part of a subject should have right after the event."""

    subject_id: str
    version: int
    measure_id: str | None
    """The one measure whose rows the event touched, or None for every measure."""
    measures: dict[str, MeasureRow]
    """The open rows of that measure (or of all), by digest."""
    profiles: dict[str, ProfileRow] | None
    """Every open profile row by digest, or None where the event left them as they were."""


MEASURE_EVENTS = (Subject.MeasureImposed, Subject.MeasureAmended, Subject.Rescinded)


def rows_after(subject: Subject, event: Subject.Event) -> Touched:
    """The rows of the part of ``subject`` (as it stands right after ``event``) that the
    event touched."""
    alike = _Alike.of(subject)
    if isinstance(event, MEASURE_EVENTS):
        number: int = event.measure_number
        measure = subject.state.measures.get(number)
        rows = {} if measure is None else one_measure_rows(subject, measure, alike)
        return Touched(alike.subject_id, subject.version, event.measure_id, rows, None)
    return Touched(
        alike.subject_id,
        subject.version,
        None,
        measure_rows(subject, alike),
        profile_rows(subject, alike),
    )


class _Alike(NamedTuple):
    """What every row of one subject holds alike, made once for all the rows an event
    touched rather than once a row (a profile amendment reopens every row of the subject)."""

    subject_id: str
    kind: str
    references: list[Any]

    @classmethod
    def of(cls, subject: Subject) -> _Alike:
        state = subject.state
        return cls(str(subject.id), plain(state.kind), plain(state.references))


class MeasureRow(NamedTuple):
    """One open row of a measure (a tuple: the views make one per stretch of every measure
    an event touches, and a frozen dataclass took a fifth of the time to make one)."""

    measure_id: str
    eff_from: str
    eff_to: str | None
    subject_id: str
    authority: str
    kind: str
    subject_kind: str
    programs: str
    digest: str
    terms_digest: str
    document: str


class ProfileRow(NamedTuple):
    """One open row of a profile (a tuple, as ``MeasureRow``)."""

    subject_id: str
    eff_from: str
    eff_to: str | None
    kind: str
    primary_name: str
    countries: str
    refs: str
    digest: str
    document: str
    names: tuple[tuple[str, str, str], ...]


def measure_rows(subject: Subject, alike: _Alike | None = None) -> dict[str, MeasureRow]:
    """Every open measure row of the subject, by digest."""
    return _rows_of(subject, subject.state.segments(), alike or _Alike.of(subject))


def one_measure_rows(
    subject: Subject, measure: MeasureState, alike: _Alike | None = None
) -> dict[str, MeasureRow]:
    """The open rows of one measure of the subject, by digest."""
    segments = subject.state.segments_of(measure.number)
    return _rows_of(subject, segments, alike or _Alike.of(subject))


def _rows_of(subject: Subject, segments: Iterable[Segment], alike: _Alike) -> dict[str, MeasureRow]:
    """The segments' rows, by digest; each measure's recorded part made once for all its
    segments."""
    recorded: dict[int, dict[str, Any]] = {}
    rows = (_measure_row(subject, segment, alike, recorded) for segment in segments)
    return {row.digest: row for row in rows}


def _measure_row(
    subject: Subject, segment: Segment, alike: _Alike, recorded: dict[int, dict[str, Any]]
) -> MeasureRow:
    """One segment's row. ``recorded`` keeps each measure's ``measure_recorded`` part for its
    other segments."""
    measure = segment.measure
    tail = recorded.get(measure.number)
    if tail is None:
        tail = recorded[measure.number] = measure_recorded(subject, alike.subject_id, measure)
    # The measure's document as it reads over the segment, less what moves within it (its
    # status and whether it is in force: those the views work out at the time asked for).
    terms = {**measure_stated(alike.subject_id, measure, segment.terms), **tail}
    document = {
        **terms,
        "subject_kind": alike.kind,
        "primary_name": segment.profile.primary_name,
        "references": alike.references,
        "segment_from": plain(segment.effective_from),
        "segment_until": plain(segment.effective_until),
    }
    canonical_text, text, terms_text = canonical_and_compact_with_part(document, terms)
    return MeasureRow(
        measure_id=terms["measure_id"],
        eff_from=effective_stamp(segment.effective_from),
        eff_to=effective_stamp_or_none(segment.effective_until),
        subject_id=alike.subject_id,
        authority=str(terms["authority"]),
        kind=str(terms["kind"]),
        subject_kind=str(alike.kind),
        programs=bar_list(terms["programs"]),
        digest=_digest_of(canonical_text),
        terms_digest=_digest_of(terms_text),
        document=text,
    )


def profile_rows(subject: Subject, alike: _Alike | None = None) -> dict[str, ProfileRow]:
    """Every open profile row of the subject, by digest: one per stretch of effective time
    over which its profile is unchanged (the first reaching back to the beginning)."""
    alike = alike or _Alike.of(subject)
    refs = bar_list([str(reference) for reference in subject.state.references])
    history = subject.state.profile_history
    times = sorted({change.effective_at for change in history})
    rows: dict[str, ProfileRow] = {}
    for index, begins in enumerate(times):
        ends = times[index + 1] if index + 1 < len(times) else None
        profile = value_at(history, begins)
        eff_from = BEGINNING if index == 0 else effective_stamp(begins)
        row = _profile_row(alike, refs, profile, eff_from, ends)
        rows[row.digest] = row
    return rows


def _profile_row(
    alike: _Alike, refs: str, profile: Profile, eff_from: str, ends: datetime | None
) -> ProfileRow:
    document = {
        "subject_id": alike.subject_id,
        "kind": alike.kind,
        "references": alike.references,
        "profile": profile_document(profile),
    }
    countries = sorted(
        {normalize(c) for c in profile.nationalities}
        | {normalize(a.country) for a in profile.addresses if a.country}
    )
    eff_to = effective_stamp_or_none(ends)
    # The digest of ``[document, eff_from, eff_to]``, the document's text written once.
    document_text, text = canonical_and_compact(document)
    row_digest = _digest_of(
        b"[" + document_text + b"," + canonical(eff_from) + b"," + canonical(eff_to) + b"]"
    )
    return ProfileRow(
        subject_id=alike.subject_id,
        eff_from=eff_from,
        eff_to=eff_to,
        kind=str(alike.kind),
        primary_name=profile.primary_name,
        countries=bar_list(countries),
        refs=refs,
        digest=row_digest,
        document=text,
        names=tuple((n.value, str(plain(n.type)), normalize(n.value)) for n in profile.names),
    )
