"""How domain values are written into stored events.

Each value type is stored as a JSON object under a stable transcoding name, so that moving
or renaming a class never breaks events already stored.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoding

from domain.link import Evidence
from domain.values import (
    Actor,
    Address,
    Detail,
    Identifier,
    MeasureTerms,
    Name,
    Profile,
    Reference,
    Source,
)

VALUE_TYPES: dict[str, type[Any]] = {
    "actor": Actor,
    "address": Address,
    "detail": Detail,
    "link_evidence": Evidence,
    "identifier": Identifier,
    "measure_terms": MeasureTerms,
    "name": Name,
    "profile": Profile,
    "reference": Reference,
    "source": Source,
}


class ValueAsObject(Transcoding):
    """A frozen dataclass as a JSON object of its fields; arrays come back as tuples."""

    def __init__(self, name: str, value_type: type[Any]) -> None:
        assert is_dataclass(value_type)
        self.name = name
        self.type = value_type

    def encode(self, obj: Any) -> dict[str, Any]:
        return {field.name: getattr(obj, field.name) for field in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(
            **{
                key: tuple(value) if isinstance(value, list) else value
                for key, value in data.items()
            }
        )


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    transcoder.register(DateAsISO())
    for name, value_type in VALUE_TYPES.items():
        transcoder.register(ValueAsObject(name, value_type))


class TupleMapper(Mapper[Any]):
    """Reads events back with tuples where they were saved with tuples.

    JSON has only arrays, and the library rebuilds an event from its stored fields without
    calling its constructor; this puts the tuples back, so that an event read from the store
    equals the event that was saved.
    """

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        fields_of_event = vars(event)
        for name, value in fields_of_event.items():
            if isinstance(value, list):
                fields_of_event[name] = tuple(value)
        return event
