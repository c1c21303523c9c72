"""Identifiers of measures and events.

A measure lives inside its subject's event stream, so its id names the subject and the
measure's number within it (``<subject uuid>.<n>``); an event id names the subject and the
version the event gave it (``<subject uuid>@<v>``). Both are stable across stores and
replays, and both lead straight to the stream that holds them without any lookup table.
"""

from __future__ import annotations

import os
import threading
from uuid import UUID

from domain.errors import EventNotFound, InvalidValue, MeasureNotFound

MAX_DIGITS = 18

IDS_PER_DRAW = 256
"""How many new ids one request to the operating system's random source pays for."""

_fresh: list[bytes] = []
_fresh_lock = threading.Lock()


def _forget_drawn() -> None:
    """In a forked child: a child must never give the ids its parent will give, and a lock
    another thread of the parent held would never be released in the child."""
    global _fresh_lock
    _fresh.clear()
    _fresh_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_drawn)


def new_subject_id() -> UUID:
    """A random (version 4) UUID for a new subject, as ``uuid.uuid4`` gives, from the same
    source (``os.urandom``). The bytes are drawn for many ids at once: each draw is a system
    call that lets go of the interpreter lock, and a writer committing a group of
    registrations would otherwise hand the lock to another thread once per subject."""
    with _fresh_lock:
        if not _fresh:
            drawn = os.urandom(16 * IDS_PER_DRAW)
            _fresh.extend(drawn[start : start + 16] for start in range(0, len(drawn), 16))
        raw = _fresh.pop()
    return UUID(bytes=raw, version=4)


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
