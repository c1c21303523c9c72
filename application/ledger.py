"""The sanctions ledger: the ``eventsourcing`` application that records and reads subjects.

Writes go through ``execute``: the command's aggregates are loaded, changed and saved in one
transaction. When another writer got to the same subject first, the stale save fails on the
stream's version number; a command that did not pin a version is then simply redone on the
fresh state (its rules are checked again), so concurrent writers never lose a write.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, Mapper, RecordConflictError, Recording

from application.commands import Command, RecordAction
from application.errors import PreconditionFailed, WriteConflict
from application.handlers import Unit, handle, load_subject
from application.transcodings import TupleMapper, register_value_transcodings
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject
from domain.values import Actor, Reference

Clock = Callable[[], datetime]
ATTEMPTS = 8


def utc_now() -> datetime:
    return datetime.now(UTC)


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


@dataclass(frozen=True)
class WriteReceipt:
    """What a write recorded, with the log position a reader can wait for."""

    events: tuple[RecordedEvent, ...]
    position: int | None

    @property
    def subject_ids(self) -> list[UUID]:
        return list(dict.fromkeys(event.subject_id for event in self.events))

    @property
    def measure_ids(self) -> list[str]:
        return list(dict.fromkeys(e.measure_id for e in self.events if e.measure_id))


class Ledger(Application[UUID]):
    name = "SanctionsLedger"

    def __init__(self, env: dict[str, str] | None = None, clock: Clock = utc_now) -> None:
        super().__init__(env)
        self.clock = clock

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=TupleMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    # Writing ----------------------------------------------------------------------------

    def execute(self, command: Command | RecordAction, actor: Actor) -> WriteReceipt:
        """Record a command or a whole action, all or nothing."""
        items = command.items if isinstance(command, RecordAction) else (command,)
        pinned = any(getattr(item, "expected_version", None) is not None for item in items)
        for attempt in range(1, ATTEMPTS + 1):
            unit = Unit(self.repository, actor, self.clock())
            for item in items:
                handle(_with_default_citation(item, command), unit)
            try:
                recordings = self.save(*unit.aggregates())
            except RecordConflictError:
                if pinned:
                    raise PreconditionFailed(
                        "another write reached the subject first; read it again"
                    ) from None
                if attempt == ATTEMPTS:
                    raise WriteConflict(
                        f"the subject kept changing under this write ({ATTEMPTS} attempts); "
                        "retry later"
                    ) from None
                _back_off(attempt)
                continue
            return _receipt(recordings)
        raise AssertionError("unreachable")  # pragma: no cover

    # Reading ----------------------------------------------------------------------------

    def subject(self, subject_id: UUID, version: int | None = None) -> Subject:
        """The subject as it is now, or as it was after its ``version``-th event."""
        return load_subject(self.repository, subject_id, version)

    def subject_id_for(self, reference: Reference) -> UUID | None:
        """The subject an authority's reference identifies, if any."""
        try:
            claim: object = self.repository.get(ReferenceClaim.id_for(reference))
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, ReferenceClaim)
        holder = self.subject(claim.subject_id)
        return holder.id if reference in holder.state.references else None

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0


def _back_off(attempt: int) -> None:
    """Wait a little, and a random amount, so that two writers stop colliding in step."""
    time.sleep(random.uniform(0, 0.005 * 2**attempt))


def _with_default_citation(item: Command, container: Command | RecordAction) -> Command:
    """An action's items cite the action's source unless they cite their own."""
    if not isinstance(container, RecordAction) or item.citation.source is not None:
        return item
    citation = replace(
        item.citation,
        source=container.citation.source,
        reason=item.citation.reason or container.citation.reason,
    )
    return replace(item, citation=citation)


def _receipt(recordings: Sequence[Recording[Any]]) -> WriteReceipt:
    events = tuple(
        RecordedEvent(
            event_id=recording.domain_event.event_id,
            subject_id=recording.domain_event.originator_id,
            version=recording.domain_event.originator_version,
            type=event_type(recording.domain_event),
            position=recording.notification.id,
            measure_id=getattr(recording.domain_event, "measure_id", None),
        )
        for recording in recordings
        if isinstance(recording.domain_event, Subject.Event)
    )
    positions = [recording.notification.id for recording in recordings]
    return WriteReceipt(events, max(positions) if positions else None)
