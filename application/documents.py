"""Subjects, measures and events as JSON-ready documents.

The HTTP API, the CLI and the views all present the ledger in the same shape, so the shape
is made here once: plain dicts of strings, numbers, booleans and lists, times in UTC ISO
format with a ``Z``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from application.receipts import event_type
from domain.ids import event_id
from domain.state import MeasureState
from domain.subject import Subject
from domain.values import MeasureTerms, Profile

METADATA = {
    "originator_id",
    "originator_version",
    "originator_topic",
    "timestamp",
    "recorded_by",
    "source",
    "reason",
}


def plain(value: Any) -> Any:
    """Any domain value as JSON-ready data."""
    kind = type(value)
    if kind is str or value is None:
        return value
    convert = _CONVERTERS.get(kind)
    if convert is None:
        convert = _CONVERTERS[kind] = _converter(kind)
    return convert(value)


def _converter(kind: type) -> Callable[[Any], Any]:
    """How ``plain`` turns every value of one type into data, decided once per type (the
    views turn every recorded value into a document, so the tests run once, not per value)."""
    if issubclass(kind, Enum):
        return lambda value: value.value
    if issubclass(kind, datetime):
        return iso
    if issubclass(kind, date):
        return lambda value: value.isoformat()
    if issubclass(kind, UUID):
        return str
    if is_dataclass(kind) and not issubclass(kind, type):
        return _dataclass_converter(tuple(field.name for field in fields(kind)))
    if issubclass(kind, (list, tuple)):
        return _items_plain
    if issubclass(kind, dict):
        return lambda value: {str(key): plain(item) for key, item in value.items()}
    return lambda value: value


_CONVERTERS: dict[type, Callable[[Any], Any]] = {}


def _dataclass_converter(names: tuple[str, ...]) -> Callable[[Any], Any]:
    def convert(value: Any) -> dict[str, Any]:
        # Most fields hold text or nothing: kept as they are without a call of ``plain``.
        document = {}
        for name in names:
            item = getattr(value, name)
            document[name] = item if item is None or type(item) is str else plain(item)
        return document

    return convert


def _items_plain(value: Any) -> list[Any]:
    return [item if item is None or type(item) is str else plain(item) for item in value]


def iso(moment: datetime) -> str:
    if moment.tzinfo is UTC:
        return _utc_iso(moment)
    return moment.isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=16_384)
def _utc_iso(moment: datetime) -> str:
    """``iso`` of a time in UTC, remembered: the views write the same few effective times
    into document after document, and formatting an aware time costs a dozen look-ups here
    (7 % of the instructions that derive the views' rows). Only times whose zone is UTC
    itself are kept: an equal time in another zone would find their text."""
    return moment.isoformat().replace("+00:00", "Z")


def profile_document(profile: Profile) -> dict[str, Any]:
    document: dict[str, Any] = plain(profile)
    document["primary_name"] = profile.primary_name
    return document


def measure_document(subject: Subject, measure: MeasureState, at: datetime) -> dict[str, Any]:
    """A measure as it reads at effective time ``at``."""
    subject_id = str(subject.id)  # written three times: the views make many such documents
    return {
        **measure_stated(subject_id, measure, measure.terms_at(at)),
        "status": measure.status_at(at).value,
        "in_force": measure.in_force(at),
        **measure_recorded(subject, subject_id, measure),
    }


def measure_stated(subject_id: str, measure: MeasureState, terms: MeasureTerms) -> dict[str, Any]:
    """The first part of a measure's document: what it is and the terms it states."""
    return {
        "measure_id": measure.id,
        "subject_id": subject_id,
        "kind": plain(measure.kind),
        "authority": plain(measure.authority),
        "programs": list(terms.programs),
        "legal_basis": terms.legal_basis,
        "covers_family": terms.covers_family,
        "divestment_deadline": plain(terms.divestment_deadline),
        "details": terms.details,
        "effective_from": iso(measure.effective_from),
        "effective_until": plain(measure.effective_until),
        "rescinded_at": plain(measure.rescinded_at),
    }


def measure_recorded(subject: Subject, subject_id: str, measure: MeasureState) -> dict[str, Any]:
    """The last part of a measure's document: the events that imposed and rescinded it, and
    the source and reason recorded with its imposition."""
    imposed = subject.event_at(measure.imposed_version)
    return {
        "imposed_by": event_id(subject_id, measure.imposed_version),
        "rescinded_by": (
            None
            if measure.rescinded_version is None
            else event_id(subject_id, measure.rescinded_version)
        ),
        "source": plain(imposed.source),
        "reason": imposed.reason,
    }


def subject_document(subject: Subject, at: datetime) -> dict[str, Any]:
    """A subject as the ledger knows it now, read at effective time ``at``."""
    state = subject.state
    measures = sorted(state.measures.values(), key=lambda m: m.number)
    return {
        "subject_id": str(subject.id),
        "kind": plain(state.kind),
        "version": subject.version,
        "references": plain(state.references),
        "profile": profile_document(state.profile_at(at)),
        "measures": [measure_document(subject, m, at) for m in measures],
        "registered_at": iso(subject.created_on),
        "updated_at": iso(subject.modified_on),
    }


def history_documents(subject: Subject, positions: dict[int, int]) -> list[dict[str, Any]]:
    """Every event of the subject in order, those recorded in error marked so."""
    return [
        event_document(
            event,
            positions.get(event.originator_version),
            voided_by=subject.voided.get(event.originator_version),
        )
        for event in subject.events
    ]


def event_document(
    event: Subject.Event, position: int | None, voided_by: int | None = None
) -> dict[str, Any]:
    """One event as the history and the raw log show it."""
    data = {key: plain(value) for key, value in vars(event).items() if key not in METADATA}
    if isinstance(measure := getattr(event, "measure_id", None), str):
        data["measure_id"] = measure
    return {
        "event_id": event.event_id,
        "subject_id": str(event.originator_id),
        "version": event.originator_version,
        "type": event_type(event),
        "position": position,
        "recorded_at": iso(event.timestamp),
        "recorded_by": plain(event.recorded_by),
        "source": plain(event.source),
        "reason": event.reason,
        "voided_by": None if voided_by is None else event_id(event.originator_id, voided_by),
        "data": data,
    }
