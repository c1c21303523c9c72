"""What a write answers its caller: each recorded event's id, stream, version, type and log
position (``WriteReceipt``), made from the events it stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.link import Link
from domain.subject import Subject


def event_type(event: object) -> str:
    """The public name of an event's type: the last part of its stored topic."""
    return str(getattr(event, "TOPIC", type(event).__name__)).rsplit(":", 1)[-1]


@dataclass(frozen=True)
class RecordedEvent:
    event_id: str
    subject_id: UUID
    version: int
    type: str
    position: int
    measure_id: str | None

    @property
    def is_link(self) -> bool:
        """Whether the event is a decision about a pair (``domain.link``): its
        ``subject_id`` is then the link's id."""
        return self.type in LINK_EVENT_TYPES


LINK_EVENT_TYPES = frozenset(event_type(cls) for cls in (Link.Linked, Link.Unlinked, Link.Rejected))


@dataclass(frozen=True)
class WriteReceipt:
    """What a write recorded, with the log position a reader can wait for."""

    events: tuple[RecordedEvent, ...]
    position: int | None

    @property
    def subject_ids(self) -> list[UUID]:
        return list(dict.fromkeys(e.subject_id for e in self.events if not e.is_link))

    @property
    def link_ids(self) -> list[UUID]:
        return list(dict.fromkeys(e.subject_id for e in self.events if e.is_link))

    @property
    def measure_ids(self) -> list[str]:
        return list(dict.fromkeys(e.measure_id for e in self.events if e.measure_id))


def receipt_of(events: Sequence[Any], positions: Sequence[int] | None) -> WriteReceipt:
    """The receipt of a write's events; without positions, of a save about to be made."""
    at = list(positions) if positions is not None else [0] * len(events)
    recorded = tuple(
        RecordedEvent(
            event_id=event.event_id,
            subject_id=event.originator_id,
            version=event.originator_version,
            type=event_type(event),
            position=position,
            measure_id=getattr(event, "measure_id", None),
        )
        for event, position in zip(events, at, strict=True)
        if isinstance(event, (Subject.Event, Link.Event))
    )
    return WriteReceipt(recorded, max(at) if positions and at else None)
