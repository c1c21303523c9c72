"""What the ledger knows about one subject, and how that knowledge reads at any effective time.

The state is a fold over the subject's events that have not been voided. Every change
carries the effective time it states, so the state keeps histories rather than overwriting:
``profile_at(t)`` and ``terms_at(t)`` answer for any instant. The structural rules of the
domain (no measure twice in force, no rescission before a measure takes effect or twice)
are checked here, by the same code whether a command is new or a voiding replays the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar
from uuid import UUID

from domain.errors import (
    AmendmentRefused,
    InvalidValue,
    MeasureNotFound,
    MeasureOverlap,
    RescissionRefused,
)
from domain.ids import measure_id
from domain.values import Authority, MeasureKind, MeasureTerms, Profile, Reference, SubjectKind

T = TypeVar("T")


@dataclass(frozen=True)
class Dated(Generic[T]):
    """A value stated to hold from ``effective_at``, recorded as the subject's ``version``."""

    effective_at: datetime
    version: int
    value: T


def value_at(history: Sequence[Dated[T]], at: datetime) -> T:
    """The value in force at ``at``: the latest change effective at or before it, later
    recordings winning ties. Before the first change, the earliest known value holds."""
    if len(history) == 1:  # most histories: that one value, whatever ``at``
        return history[0].value
    order = lambda change: (change.effective_at, change.version)  # noqa: E731
    known = [change for change in history if change.effective_at <= at]
    chosen = max(known, key=order) if known else min(history, key=order)
    return chosen.value


class MeasureStatus(StrEnum):
    PENDING = "pending"
    IN_FORCE = "in_force"
    RESCINDED = "rescinded"
    EXPIRED = "expired"


def status_at(
    at: datetime,
    effective_from: datetime,
    effective_until: datetime | None,
    rescinded_at: datetime | None,
) -> MeasureStatus:
    """A measure's status at ``at``, from its times alone: in force from its start until
    the earlier of its expiry and its rescission."""
    ends = min((e for e in (effective_until, rescinded_at) if e is not None), default=None)
    if at < effective_from:
        return MeasureStatus.PENDING
    if ends is None or at < ends:
        return MeasureStatus.IN_FORCE
    if rescinded_at is not None and at >= rescinded_at:
        return MeasureStatus.RESCINDED
    return MeasureStatus.EXPIRED


def _overlap(
    a_from: datetime, a_end: datetime | None, b_from: datetime, b_end: datetime | None
) -> bool:
    return (a_end is None or b_from < a_end) and (b_end is None or a_from < b_end)


def check_terms_fit(kind: MeasureKind, terms: MeasureTerms) -> None:
    """Kind-specific terms belong to their own kind only."""
    if terms.covers_family and kind != MeasureKind.VISA_BAN:
        raise InvalidValue(f"covers_family applies to visa bans, not to a {kind}")
    if terms.divestment_deadline is not None and kind != MeasureKind.INVESTMENT_RESTRICTION:
        raise InvalidValue(
            f"divestment_deadline applies to investment restrictions, not to a {kind}"
        )


@dataclass
class MeasureState:
    subject_id: UUID
    number: int
    kind: MeasureKind
    authority: Authority
    effective_from: datetime
    effective_until: datetime | None
    imposed_version: int
    terms_history: list[Dated[MeasureTerms]]
    rescinded_at: datetime | None = None
    rescinded_version: int | None = None

    @property
    def id(self) -> str:
        return measure_id(self.subject_id, self.number)

    @property
    def end(self) -> datetime | None:
        """When the measure stops being in force, as far as the ledger knows now."""
        ends = [e for e in (self.effective_until, self.rescinded_at) if e is not None]
        return min(ends) if ends else None

    @property
    def programs(self) -> frozenset[str]:
        """Every program the measure has named at any time."""
        return frozenset(p for change in self.terms_history for p in change.value.programs)

    @property
    def terms(self) -> MeasureTerms:
        """The terms as last stated, whatever their effective time."""
        return max(self.terms_history, key=lambda c: (c.effective_at, c.version)).value

    def terms_at(self, at: datetime) -> MeasureTerms:
        return value_at(self.terms_history, at)

    def in_force(self, at: datetime) -> bool:
        end = self.end
        return self.effective_from <= at and (end is None or at < end)

    def status_at(self, at: datetime) -> MeasureStatus:
        return status_at(at, self.effective_from, self.effective_until, self.rescinded_at)

    def clashes_with(self, other: MeasureState) -> bool:
        """Whether the two would be the same measure in force twice over some period."""
        return (
            self.number != other.number
            and self.kind == other.kind
            and self.authority == other.authority
            and bool(self.programs & other.programs)
            and _overlap(self.effective_from, self.end, other.effective_from, other.end)
        )


@dataclass(frozen=True)
class Segment:
    """A stretch of effective time over which one measure is in force with unchanged terms
    and an unchanged subject profile: the unit the bitemporal views store."""

    measure: MeasureState
    effective_from: datetime
    effective_until: datetime | None
    terms: MeasureTerms
    profile: Profile


@dataclass
class SubjectState:
    subject_id: UUID
    kind: SubjectKind
    references: tuple[Reference, ...]
    profile_history: list[Dated[Profile]]
    measures: dict[int, MeasureState] = field(default_factory=dict)

    @classmethod
    def registered(
        cls,
        subject_id: UUID,
        kind: SubjectKind,
        profile: Profile,
        references: tuple[Reference, ...],
        effective_at: datetime,
        version: int,
    ) -> SubjectState:
        return cls(subject_id, kind, references, [Dated(effective_at, version, profile)])

    # Changes -------------------------------------------------------------------------

    def amend_profile(
        self,
        profile: Profile,
        references: tuple[Reference, ...] | None,
        effective_at: datetime,
        version: int,
    ) -> None:
        self.profile_history.append(Dated(effective_at, version, profile))
        if references is not None:
            self.references = references

    def impose(
        self,
        number: int,
        kind: MeasureKind,
        authority: Authority,
        terms: MeasureTerms,
        effective_from: datetime,
        effective_until: datetime | None,
        version: int,
    ) -> None:
        check_terms_fit(kind, terms)
        if effective_until is not None and effective_until <= effective_from:
            raise InvalidValue(
                f"effective_until {effective_until.isoformat()} must be after "
                f"effective_from {effective_from.isoformat()}"
            )
        candidate = MeasureState(
            self.subject_id,
            number,
            kind,
            authority,
            effective_from,
            effective_until,
            version,
            [Dated(effective_from, version, terms)],
        )
        self._refuse_clash(candidate)
        self.measures[number] = candidate

    def amend_measure(
        self,
        number: int,
        terms: MeasureTerms,
        effective_until: datetime | None,
        effective_at: datetime,
        version: int,
    ) -> None:
        current = self.measure(number)
        check_terms_fit(current.kind, terms)
        end = current.end
        if end is not None and effective_at >= end:
            raise AmendmentRefused(
                f"measure {current.id} is no longer in force at {effective_at.isoformat()} "
                f"(it ended at {end.isoformat()}); an amendment must take effect before then"
            )
        if effective_until is not None and effective_until <= current.effective_from:
            raise InvalidValue(
                f"effective_until {effective_until.isoformat()} must be after the measure "
                f"took effect ({current.effective_from.isoformat()})"
            )
        starts = max(effective_at, current.effective_from)
        candidate = replace(
            current,
            effective_until=effective_until,
            terms_history=[*current.terms_history, Dated(starts, version, terms)],
        )
        self._refuse_clash(candidate)
        self.measures[number] = candidate

    def rescind(self, number: int, effective_at: datetime, version: int) -> None:
        current = self.measure(number)
        if current.rescinded_at is not None:
            raise RescissionRefused(
                f"measure {current.id} was already rescinded effective "
                f"{current.rescinded_at.isoformat()}"
            )
        if effective_at < current.effective_from:
            raise RescissionRefused(
                f"measure {current.id} takes effect {current.effective_from.isoformat()}; "
                f"it cannot be rescinded before that ({effective_at.isoformat()})"
            )
        until = current.effective_until
        if until is not None and effective_at >= until:
            raise RescissionRefused(
                f"measure {current.id} already ended at {until.isoformat()}; "
                "there is nothing left to rescind"
            )
        current.rescinded_at = effective_at
        current.rescinded_version = version

    def _refuse_clash(self, candidate: MeasureState) -> None:
        for other in self.measures.values():
            if candidate.clashes_with(other):
                raise MeasureOverlap(
                    f"measure {other.id} ({other.kind}, {other.authority}, programs "
                    f"{', '.join(sorted(other.programs))}) is already in force over part of "
                    "the same period; rescind or amend it instead of recording it twice",
                    other.id,
                )

    # Readings -------------------------------------------------------------------------

    def measure(self, number: int) -> MeasureState:
        try:
            return self.measures[number]
        except KeyError:
            raise MeasureNotFound(
                f"subject {self.subject_id} has no measure number {number}"
            ) from None

    def profile_at(self, at: datetime) -> Profile:
        return value_at(self.profile_history, at)

    def measures_in_force(self, at: datetime) -> list[MeasureState]:
        return [m for m in self.measures.values() if m.in_force(at)]

    def segments(self) -> Iterator[Segment]:
        """Every stretch of effective time over which a measure is in force with the same
        terms and the same profile, for all measures of the subject."""
        profile_times = {change.effective_at for change in self.profile_history}
        for measure in sorted(self.measures.values(), key=lambda m: m.number):
            yield from self._measure_segments(measure, profile_times)

    def segments_of(self, number: int) -> Iterator[Segment]:
        """The stretches of one measure, as ``segments`` gives them."""
        profile_times = {change.effective_at for change in self.profile_history}
        yield from self._measure_segments(self.measure(number), profile_times)

    def _measure_segments(
        self, measure: MeasureState, profile_times: set[datetime]
    ) -> Iterator[Segment]:
        start, end = measure.effective_from, measure.end
        if end is not None and end <= start:
            return
        changes = profile_times | {c.effective_at for c in measure.terms_history}
        inside = sorted(t for t in changes if start < t and (end is None or t < end))
        bounds = [start, *inside]
        for index, begins in enumerate(bounds):
            ends = bounds[index + 1] if index + 1 < len(bounds) else end
            yield Segment(measure, begins, ends, measure.terms_at(begins), self.profile_at(begins))
