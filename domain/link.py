"""Links between subjects: an operator's decision that two subjects are, or are not, the same.

Two authorities often list one person under two records (the UN Security Council and OFAC
each publish their own). A link records that they are one, without touching either record:
the subjects stay as their authorities published them, and the decision is history of its
own, with who made it, why (a reason and the evidence), and both times.

One aggregate per unordered pair of subjects: its id is derived from the sorted pair
(``Link.id_for``), so two operators deciding about the same pair meet on the stream's
version number (one of them is refused or redone), never on two streams. Its events are
the pair's decisions, in order:

- ``Linked``: the two are the same, from ``effective_at`` on;
- ``Unlinked``: they are no longer taken as the same, from ``effective_at`` on (an unlinking
  effective at the linking's own effective time says they never were);
- ``Rejected``: a recorded "not the same", so that the pair is not proposed again.

Every event carries the pair, so that each one read alone from the log says what it is
about. Rules: the two subjects differ; a linked pair cannot be linked again, and only a
linked pair can be unlinked; a linked pair must be unlinked before it is rejected, and a
rejected one is not rejected twice; no decision takes effect before the pair's previous
one, so the decisions divide effective time into consecutive periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import AggregateEvent, BaseAggregate

from domain.errors import InvalidValue, LinkRefused
from domain.ids import NameBasedIds, event_id
from domain.provenance import Provenance, check_plausible
from domain.values import Actor, Identifier, Source, utc

LINKS_NAMESPACE = UUID("2b0f3c55-0d4e-4f7e-8a43-6c1d9e5b7a21")
_link_ids = NameBasedIds(LINKS_NAMESPACE)

LINKED, UNLINKED, REJECTED = "linked", "unlinked", "rejected"


@dataclass(frozen=True)
class Evidence:
    """What a decision rests on: the identifiers, names and dates of birth both records
    share (or that differ, for a rejection), a score, and free notes (the features a
    suggester weighed, the rule an automatic decision followed)."""

    identifiers: tuple[Identifier, ...] = ()
    names: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    score: float | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Period:
    """A stretch of effective time over which one decision holds: ``[start, end)``, open
    when ``end`` is None."""

    status: str
    start: datetime
    end: datetime | None
    decision: Link.Event
    ended_by: Link.Event | None


def ordered_pair(first: UUID, second: UUID) -> tuple[UUID, UUID]:
    """The pair in its one order (by the ids' text), refusing a subject paired with itself."""
    if first == second:
        raise InvalidValue(f"a link needs two different subjects, not {first} twice")
    low, high = sorted((first, second), key=str)
    return low, high


class Link(BaseAggregate[UUID]):
    TOPIC = "sanctions-ledger:link"

    if TYPE_CHECKING:  # set by the events; not dataclass fields of the aggregate
        subject_ids: tuple[UUID, UUID]
        decisions: list[Link.Event]

    class Event(AggregateEvent):
        """One decision about the pair; the stream's first event creates the aggregate."""

        STATUS = ""
        subject_ids: tuple[UUID, UUID]
        recorded_by: Actor
        source: Source | None
        reason: str | None
        evidence: Evidence
        effective_at: datetime

        @property
        def event_id(self) -> str:
            return event_id(self.originator_id, self.originator_version)

        def mutate(self, aggregate: Any) -> Any:
            if aggregate is None:  # the first decision about the pair
                aggregate = Link.__new__(Link)
                aggregate.__base_init__(self.originator_id, 0, self.timestamp)
                aggregate.subject_ids = self.subject_ids
                aggregate.decisions = []
            return super().mutate(aggregate)

        def apply(self, aggregate: Link) -> None:
            aggregate.decisions.append(self)

    class Linked(Event):
        TOPIC = "sanctions-ledger:link:linked"
        STATUS = LINKED

    class Unlinked(Event):
        TOPIC = "sanctions-ledger:link:unlinked"
        STATUS = UNLINKED

    class Rejected(Event):
        TOPIC = "sanctions-ledger:link:rejected"
        STATUS = REJECTED

    @staticmethod
    def id_for(first: UUID, second: UUID) -> UUID:
        low, high = ordered_pair(first, second)
        return _link_ids(f"{low}|{high}")

    # Commands ---------------------------------------------------------------------------

    @classmethod
    def first(
        cls,
        status: str,
        subject_ids: tuple[UUID, UUID],
        evidence: Evidence,
        effective_at: datetime,
        provenance: Provenance,
        *,
        confirm_unusual_dates: bool = False,
    ) -> Link:
        """The pair's first decision: a link or a rejection (there is nothing to unlink)."""
        if status == UNLINKED:
            raise LinkRefused(f"subjects {subject_ids[0]} and {subject_ids[1]} are not linked")
        pair = ordered_pair(*subject_ids)
        fields = _fields(pair, evidence, effective_at, provenance, confirm_unusual_dates)
        event = DECISIONS[status](
            originator_id=cls.id_for(*pair),
            originator_version=1,
            timestamp=utc(provenance.recorded_at),
            **fields,
        )
        link = event.mutate(None)
        assert isinstance(link, Link)
        link.pending_events.append(event)
        return link

    def decide(
        self,
        status: str,
        evidence: Evidence,
        effective_at: datetime,
        provenance: Provenance,
        *,
        confirm_unusual_dates: bool = False,
    ) -> Event:
        """A further decision about the pair, if the rules allow it."""
        fields = _fields(
            self.subject_ids, evidence, effective_at, provenance, confirm_unusual_dates
        )
        self._check(status, fields["effective_at"])
        self.trigger_event(DECISIONS[status], timestamp=utc(provenance.recorded_at), **fields)
        event = self.pending_events[-1]
        assert isinstance(event, Link.Event)
        return event

    # Readings ---------------------------------------------------------------------------

    @property
    def status(self) -> str:
        return self.decisions[-1].STATUS

    def periods(self) -> list[Period]:
        """Effective time from the first decision on, divided by the decisions; a decision
        that a later one made at the same effective time overrides holds over no time and
        is left out."""
        periods = []
        for index, decision in enumerate(self.decisions):
            after = self.decisions[index + 1] if index + 1 < len(self.decisions) else None
            end = None if after is None else after.effective_at
            if end is None or end > decision.effective_at:
                periods.append(Period(decision.STATUS, decision.effective_at, end, decision, after))
        return periods

    # Helpers ----------------------------------------------------------------------------

    def _check(self, status: str, effective_at: datetime) -> None:
        pair = f"subjects {self.subject_ids[0]} and {self.subject_ids[1]}"
        last = self.decisions[-1]
        if status == LINKED and last.STATUS == LINKED:
            raise LinkRefused(f"{pair} are already linked (event {last.event_id})")
        if status == UNLINKED and last.STATUS != LINKED:
            raise LinkRefused(f"{pair} are not linked: there is nothing to unlink")
        if status == REJECTED and last.STATUS == LINKED:
            raise LinkRefused(f"{pair} are linked (event {last.event_id}): unlink them first")
        if status == REJECTED and last.STATUS == REJECTED:
            raise LinkRefused(f"{pair} were already rejected (event {last.event_id})")
        if effective_at < last.effective_at:
            raise LinkRefused(
                f"a decision about {pair} cannot take effect at {effective_at.isoformat()}, "
                f"before the previous one ({last.event_id}, {last.effective_at.isoformat()})"
            )


DECISIONS: dict[str, type[Link.Event]] = {
    LINKED: Link.Linked,
    UNLINKED: Link.Unlinked,
    REJECTED: Link.Rejected,
}


def _fields(
    pair: tuple[UUID, UUID],
    evidence: Evidence,
    effective_at: datetime,
    provenance: Provenance,
    confirmed: bool,
) -> dict[str, Any]:
    """The fields every decision carries, checked: a reason, and a plausible time."""
    if not (provenance.reason or "").strip():
        raise InvalidValue("a link decision needs a reason: say why")
    effective_at = utc(effective_at)
    check_plausible(effective_at, provenance.recorded_at, confirmed=confirmed, what="effective_at")
    return {
        "subject_ids": pair,
        "recorded_by": provenance.recorded_by,
        "source": provenance.source,
        "reason": provenance.reason,
        "evidence": evidence,
        "effective_at": effective_at,
    }
