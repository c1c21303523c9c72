"""The subject aggregate: one sanctioned person, organization, vessel or aircraft, with its
profile and every measure imposed on it.

Measures live inside their subject so that the rule "the same measure is never in force
twice" is checked against one consistent stream, and so that two operators writing to the
same subject meet on that stream's version number. Events are stored under explicit, stable
topics: renaming a class here never orphans a stored event.

A voided event stays in the stream (nothing is ever deleted); the state is the fold of the
events that are not voided, recomputed when a voiding arrives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import AggregateCreated, AggregateEvent, BaseAggregate

from domain.errors import (
    EventNotFound,
    InvalidValue,
    LedgerError,
    VoidingRefused,
)
from domain.ids import event_id, measure_id, new_subject_id
from domain.provenance import Provenance, check_plausible
from domain.state import SubjectState
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    MeasureTerms,
    Profile,
    Reference,
    Source,
    SubjectKind,
    utc,
)


class Subject(BaseAggregate[UUID]):
    TOPIC = "sanctions-ledger:subject"

    class Event(AggregateEvent):
        recorded_by: Actor
        source: Source | None
        reason: str | None

        @property
        def event_id(self) -> str:
            return event_id(self.originator_id, self.originator_version)

        def apply(self, aggregate: Subject) -> None:
            aggregate.receive(self)

        def apply_to(self, state: SubjectState) -> None:
            """Change the state as this event says, refusing what the rules forbid."""

    class Registered(Event, AggregateCreated):
        TOPIC = "sanctions-ledger:subject:registered"
        kind: SubjectKind
        profile: Profile
        references: tuple[Reference, ...]
        effective_at: datetime

        def apply(self, aggregate: Subject) -> None:
            aggregate.start(self)

    class ProfileAmended(Event):
        TOPIC = "sanctions-ledger:subject:profile-amended"
        profile: Profile
        references: tuple[Reference, ...] | None
        effective_at: datetime

        def apply_to(self, state: SubjectState) -> None:
            state.amend_profile(
                self.profile, self.references, self.effective_at, self.originator_version
            )

    class MeasureImposed(Event):
        """Base of the three impositions; each names its kind in ``KIND``."""

        TOPIC = "sanctions-ledger:subject:measure-imposed"
        KIND: ClassVar[MeasureKind]
        measure_number: int
        authority: Authority
        terms: MeasureTerms
        effective_from: datetime
        effective_until: datetime | None

        @property
        def measure_id(self) -> str:
            return measure_id(self.originator_id, self.measure_number)

        def apply_to(self, state: SubjectState) -> None:
            state.impose(
                self.measure_number,
                self.KIND,
                self.authority,
                self.terms,
                self.effective_from,
                self.effective_until,
                self.originator_version,
            )

    class Designated(MeasureImposed):
        TOPIC = "sanctions-ledger:subject:designated"
        KIND = MeasureKind.DESIGNATION

    class VisaBanned(MeasureImposed):
        TOPIC = "sanctions-ledger:subject:visa-banned"
        KIND = MeasureKind.VISA_BAN

    class InvestmentRestricted(MeasureImposed):
        TOPIC = "sanctions-ledger:subject:investment-restricted"
        KIND = MeasureKind.INVESTMENT_RESTRICTION

    class MeasureAmended(Event):
        TOPIC = "sanctions-ledger:subject:measure-amended"
        measure_number: int
        terms: MeasureTerms
        effective_until: datetime | None
        effective_at: datetime

        @property
        def measure_id(self) -> str:
            return measure_id(self.originator_id, self.measure_number)

        def apply_to(self, state: SubjectState) -> None:
            state.amend_measure(
                self.measure_number,
                self.terms,
                self.effective_until,
                self.effective_at,
                self.originator_version,
            )

    class Rescinded(Event):
        TOPIC = "sanctions-ledger:subject:rescinded"
        measure_number: int
        effective_at: datetime

        @property
        def measure_id(self) -> str:
            return measure_id(self.originator_id, self.measure_number)

        def apply_to(self, state: SubjectState) -> None:
            state.rescind(self.measure_number, self.effective_at, self.originator_version)

    class Voided(Event):
        """The event at ``target_version`` was recorded in error and never should have been."""

        TOPIC = "sanctions-ledger:subject:voided"
        target_version: int

    # Applying events ------------------------------------------------------------------

    def start(self, registered: Registered) -> None:
        self.events: list[Subject.Event] = [registered]
        self.voided: dict[int, int] = {}
        self.state = _fold([registered], {})

    def receive(self, event: Event) -> None:
        if isinstance(event, Subject.Voided):
            voided = {**self.voided, event.target_version: event.originator_version}
            self.state = _fold(self.events, voided)
            self.voided = voided
        else:
            event.apply_to(self.state)
        self.events.append(event)

    # Commands ---------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        kind: SubjectKind,
        profile: Profile,
        references: Iterable[Reference],
        effective_at: datetime,
        provenance: Provenance,
        confirm_unusual_dates: bool = False,
        subject_id: UUID | None = None,
    ) -> Subject:
        effective_at = utc(effective_at)
        check_plausible(
            effective_at,
            provenance.recorded_at,
            confirmed=confirm_unusual_dates,
            what="effective_at",
        )
        return cls._create(
            cls.Registered,
            id=subject_id or new_subject_id(),
            timestamp=utc(provenance.recorded_at),
            **_metadata(provenance),
            kind=SubjectKind(kind),
            profile=profile,
            references=_unique_references(references),
            effective_at=effective_at,
        )

    def amend_profile(
        self,
        *,
        profile: Profile,
        references: Iterable[Reference] | None,
        effective_at: datetime,
        provenance: Provenance,
        confirm_unusual_dates: bool = False,
    ) -> Event:
        effective_at = self._plausible(effective_at, provenance, confirm_unusual_dates)
        return self._trigger(
            self.ProfileAmended,
            provenance,
            profile=profile,
            references=None if references is None else _unique_references(references),
            effective_at=effective_at,
        )

    def impose(
        self,
        *,
        kind: MeasureKind,
        authority: Authority,
        terms: MeasureTerms,
        effective_from: datetime,
        effective_until: datetime | None,
        provenance: Provenance,
        confirm_unusual_dates: bool = False,
    ) -> MeasureImposed:
        effective_from = self._plausible(effective_from, provenance, confirm_unusual_dates)
        event = self._trigger(
            IMPOSITION_EVENTS[MeasureKind(kind)],
            provenance,
            measure_number=self.measure_count + 1,
            authority=Authority(authority),
            terms=terms,
            effective_from=effective_from,
            effective_until=None if effective_until is None else utc(effective_until),
        )
        assert isinstance(event, Subject.MeasureImposed)
        return event

    def amend_measure(
        self,
        *,
        number: int,
        terms: MeasureTerms,
        effective_until: datetime | None,
        effective_at: datetime,
        provenance: Provenance,
        confirm_unusual_dates: bool = False,
    ) -> Event:
        effective_at = self._plausible(effective_at, provenance, confirm_unusual_dates)
        return self._trigger(
            self.MeasureAmended,
            provenance,
            measure_number=number,
            terms=terms,
            effective_until=None if effective_until is None else utc(effective_until),
            effective_at=effective_at,
        )

    def rescind(
        self,
        *,
        number: int,
        effective_at: datetime,
        provenance: Provenance,
        confirm_unusual_dates: bool = False,
    ) -> Event:
        effective_at = self._plausible(effective_at, provenance, confirm_unusual_dates)
        return self._trigger(
            self.Rescinded, provenance, measure_number=number, effective_at=effective_at
        )

    def void(self, *, version: int, provenance: Provenance) -> Event:
        if not provenance.reason:
            raise InvalidValue("a voiding needs a reason: say what was recorded in error")
        self._check_voidable(version)
        return self._trigger(self.Voided, provenance, target_version=version)

    # Readings ---------------------------------------------------------------------------

    @property
    def measure_count(self) -> int:
        """How many measures were ever imposed, voided ones included: numbers never repeat."""
        return sum(isinstance(e, Subject.MeasureImposed) for e in self.events)

    def event_at(self, version: int) -> Event:
        if not 1 <= version <= len(self.events):
            raise EventNotFound(f"no event {event_id(self.id, version)} in the ledger")
        return self.events[version - 1]

    # Helpers ----------------------------------------------------------------------------

    def _plausible(self, moment: datetime, provenance: Provenance, confirmed: bool) -> datetime:
        moment = utc(moment)
        check_plausible(moment, provenance.recorded_at, confirmed=confirmed, what="effective date")
        return moment

    def _trigger(self, event_class: type[Event], provenance: Provenance, **fields: Any) -> Event:
        self.trigger_event(
            event_class, timestamp=utc(provenance.recorded_at), **_metadata(provenance), **fields
        )
        event = self.pending_events[-1]
        assert isinstance(event, Subject.Event)
        return event

    def _check_voidable(self, version: int) -> None:
        target = self.event_at(version)
        if isinstance(target, Subject.Registered):
            raise VoidingRefused(
                "a registration cannot be voided; void the subject's measures and amend its "
                "profile instead"
            )
        if isinstance(target, Subject.Voided):
            raise VoidingRefused("a voiding cannot itself be voided; record the event again")
        if version in self.voided:
            raise VoidingRefused(
                f"event {target.event_id} was already voided by "
                f"{event_id(self.id, self.voided[version])}"
            )
        if version in _moot_versions(self.events, self.voided):
            raise VoidingRefused(
                f"event {target.event_id} concerns a measure whose imposition was voided"
            )
        try:
            _fold(self.events, {**self.voided, version: 0})
        except LedgerError as error:
            raise VoidingRefused(
                f"voiding {target.event_id} would leave the subject inconsistent: {error.detail}"
            ) from error


IMPOSITION_EVENTS: dict[MeasureKind, type[Subject.MeasureImposed]] = {
    MeasureKind.DESIGNATION: Subject.Designated,
    MeasureKind.VISA_BAN: Subject.VisaBanned,
    MeasureKind.INVESTMENT_RESTRICTION: Subject.InvestmentRestricted,
}


def _metadata(provenance: Provenance) -> dict[str, Any]:
    return {
        "recorded_by": provenance.recorded_by,
        "source": provenance.source,
        "reason": provenance.reason,
    }


def _unique_references(references: Iterable[Reference]) -> tuple[Reference, ...]:
    return tuple(dict.fromkeys(references))


def _moot_versions(events: Sequence[Subject.Event], voided: dict[int, int]) -> set[int]:
    """Versions of events about measures whose imposition is voided: a fold skips them."""
    dropped = {
        e.measure_number
        for e in events
        if isinstance(e, Subject.MeasureImposed) and e.originator_version in voided
    }
    return {
        e.originator_version
        for e in events
        if isinstance(e, (Subject.MeasureAmended, Subject.Rescinded))
        and e.measure_number in dropped
    }


def _fold(events: Sequence[Subject.Event], voided: dict[int, int]) -> SubjectState:
    """The state that the events not voided (nor moot) add up to, checking every rule."""
    first = events[0]
    assert isinstance(first, Subject.Registered)
    state = SubjectState.registered(
        first.originator_id,
        first.kind,
        first.profile,
        first.references,
        first.effective_at,
        first.originator_version,
    )
    skipped = voided.keys() | _moot_versions(events, voided)
    for event in events[1:]:
        if event.originator_version not in skipped:
            event.apply_to(state)
    return state
