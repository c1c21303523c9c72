"""What a write answers its caller: each recorded event's id, stream, version, type and log
position (``WriteReceipt``), made from the events it stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate

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
    aggregates: Mapping[UUID, BaseAggregate[UUID]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """The aggregates as the write left them, by id, for a caller in this process that goes
    on from them (an importer's mirror of the list) rather than read them back; none in a
    receipt made again from what was recorded."""

    @property
    def subject_ids(self) -> list[UUID]:
        return list(dict.fromkeys(e.subject_id for e in self.events if not e.is_link))

    @property
    def link_ids(self) -> list[UUID]:
        return list(dict.fromkeys(e.subject_id for e in self.events if e.is_link))

    @property
    def measure_ids(self) -> list[str]:
        return list(dict.fromkeys(e.measure_id for e in self.events if e.measure_id))


def receipt_of(
    events: Sequence[Any],
    positions: Sequence[int] | None,
    aggregates: Sequence[BaseAggregate[UUID]] = (),
) -> WriteReceipt:
    """The receipt of a write's events (and of the aggregates it left, if given); without
    positions, of a save about to be made."""
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
    left = {aggregate.id: aggregate for aggregate in aggregates}
    return WriteReceipt(recorded, max(at) if positions and at else None, left)
