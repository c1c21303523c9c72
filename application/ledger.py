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
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    JSONTranscoder,
    Mapper,
    RecordConflictError,
    Recording,
)

from application.commands import Command, RecordAction, RecordPublication
from application.errors import PreconditionFailed, WriteConflict
from application.handlers import Unit, handle, load_subject
from application.log_positions import log_positions
from application.recorders import WITHIN_TRANSACTION, hooked_recorder
from application.transcodings import TupleMapper, register_value_transcodings
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject
from domain.text import check_all_text
from domain.values import Actor, Reference

if TYPE_CHECKING:
    from application.idempotency import Claim

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
        self.listeners: list[Callable[[WriteReceipt], None]] = []
        """Called after every write, e.g. to wake the projector."""

    def construct_recorder(self) -> ApplicationRecorder:
        """A recorder that lets a write commit its idempotency claim with its events."""
        return hooked_recorder(self.factory)

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=TupleMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    # Writing ----------------------------------------------------------------------------

    def execute(
        self, command: Command | RecordAction, actor: Actor, claim: Claim | None = None
    ) -> WriteReceipt:
        """Record a command or a whole action, all or nothing.

        With an idempotency ``claim``, the claim is marked committed in the transaction
        that stores the events; a claim an earlier attempt already committed answers with
        that attempt's receipt and records nothing.
        """
        if claim is not None and claim.recorded is not None:
            return self._located(claim.recorded)
        items = command.items if isinstance(command, RecordAction) else (command,)
        pinned = any(getattr(item, "expected_version", None) is not None for item in items)
        for attempt in range(1, ATTEMPTS + 1):
            unit = Unit(self.repository, actor, self.clock())
            for item in items:
                handle(_with_default_citation(item, command), unit)
            try:
                aggregates = unit.aggregates()
                _check_storable(aggregates)
                hook = (
                    {}
                    if claim is None
                    else {WITHIN_TRANSACTION: claim.commit_hook(_planned(aggregates))}
                )
                recordings = self.save(*aggregates, **hook)
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
            receipt = _receipt(recordings)
            for listener in self.listeners:
                listener(receipt)
            return receipt
        raise AssertionError("unreachable")  # pragma: no cover

    # Reading ----------------------------------------------------------------------------

    def _located(self, receipt: WriteReceipt) -> WriteReceipt:
        """A receipt made before its events had log positions, with their positions."""
        positions = log_positions(self.recorder)
        found = {s: positions.of(s) for s in receipt.subject_ids}
        events = tuple(replace(e, position=found[e.subject_id][e.version]) for e in receipt.events)
        return WriteReceipt(events, max((e.position for e in events), default=None))

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


def _check_storable(aggregates: Sequence[BaseAggregate[UUID]]) -> None:
    """Refuse any event holding text a store cannot hold, whoever sent it: the API refuses
    such text at the door, and this catches every other way in (imports, the CLI)."""
    for aggregate in aggregates:
        for event in aggregate.pending_events:
            check_all_text(vars(event), event_type(event))


def _back_off(attempt: int) -> None:
    """Wait a little, and a random amount, so that two writers stop colliding in step."""
    time.sleep(random.uniform(0, 0.005 * 2**attempt))


def _with_default_citation(item: Command, container: Command | RecordAction) -> Command:
    """An action's items cite the action's source unless they cite their own."""
    if (
        not isinstance(container, RecordAction)
        or isinstance(item, RecordPublication)
        or item.citation.source is not None
    ):
        return item
    citation = replace(
        item.citation,
        source=container.citation.source,
        reason=item.citation.reason or container.citation.reason,
    )
    return replace(item, citation=citation)


def _planned(aggregates: Sequence[BaseAggregate[UUID]]) -> WriteReceipt:
    """The receipt of a save about to be made: its events, not yet their positions."""
    events = tuple(
        RecordedEvent(
            event_id=event.event_id,
            subject_id=event.originator_id,
            version=event.originator_version,
            type=event_type(event),
            position=0,
            measure_id=getattr(event, "measure_id", None),
        )
        for aggregate in aggregates
        for event in aggregate.pending_events
        if isinstance(event, Subject.Event)
    )
    return WriteReceipt(events, None)


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
