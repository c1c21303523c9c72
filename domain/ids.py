"""Identifiers of measures and events.

A measure lives inside its subject's event stream, so its id names the subject and the
measure's number within it (``<subject uuid>.<n>``); an event id names the subject and the
version the event gave it (``<subject uuid>@<v>``). Both are stable across stores and
replays, and both lead straight to the stream that holds them without any lookup table.
"""

from __future__ import annotations

from uuid import UUID

from domain.errors import EventNotFound, InvalidValue, MeasureNotFound

MAX_DIGITS = 18


def measure_id(subject_id: UUID, number: int) -> str:
    return f"{subject_id}.{number}"


def event_id(subject_id: UUID | str, version: int) -> str:
    return f"{subject_id}@{version}"


def parse_measure_id(text: str) -> tuple[UUID, int]:
    """The subject and measure number a measure id names."""
    parsed = _split(text, ".")
    if parsed is None:
        raise MeasureNotFound(
            f"no measure has the id {text!r}: measure ids look like '<subject uuid>.<number>'"
        )
    return parsed


def parse_event_id(text: str) -> tuple[UUID, int]:
    """The subject and version an event id names."""
    parsed = _split(text, "@")
    if parsed is None:
        raise EventNotFound(
            f"no event has the id {text!r}: event ids look like '<subject uuid>@<version>'"
        )
    return parsed


def _split(text: str, separator: str) -> tuple[UUID, int] | None:
    head, sep, tail = text.rpartition(separator)
    if not text.isascii() or (tail.isdigit() and len(tail) > MAX_DIGITS):
        # Text Python would read as a number but the ledger never writes (superscripts,
        # other scripts' digits, numbers beyond 64 bits): a malformed request, not a
        # missing measure or event.
        raise InvalidValue(
            f"{text!r} is not an id the ledger gives: ids are ASCII, and the number after "
            f"{separator!r} has at most {MAX_DIGITS} digits"
        )
    if not sep or not tail.isdigit() or int(tail) < 1:
        return None
    try:
        return UUID(head), int(tail)
    except ValueError:
        return None
