"""What operators ask the ledger to record.

Commands are plain values: the HTTP API, the CLI and the importers all build them, and the
ledger handles them the same way whichever door they came through. Within one action a
subject registered by an earlier item can be named by its ``key``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from domain.link import Evidence
from domain.values import (
    Authority,
    MeasureKind,
    Profile,
    Reference,
    Source,
    SubjectKind,
)

SubjectRef = UUID | str
"""A subject's id, or the ``key`` an earlier item of the same action gave it."""


@dataclass(frozen=True)
class Citation:
    """What every command carries besides its own fields."""

    source: Source | None = None
    reason: str | None = None
    confirm_unusual_dates: bool = False


@dataclass(frozen=True)
class RegisterSubject:
    kind: SubjectKind
    profile: Profile
    references: tuple[Reference, ...] = ()
    effective_at: datetime | None = None
    citation: Citation = Citation()
    key: str | None = None
    subject_id: UUID | None = None


@dataclass(frozen=True)
class AmendProfile:
    subject: SubjectRef
    profile: Profile
    references: tuple[Reference, ...] | None = None
    effective_at: datetime | None = None
    citation: Citation = Citation()
    expected_version: int | None = None


@dataclass(frozen=True)
class ImposeMeasure:
    subject: SubjectRef
    kind: MeasureKind
    authority: Authority
    programs: tuple[str, ...]
    effective_from: datetime
    effective_until: datetime | None = None
    legal_basis: str | None = None
    covers_family: bool = False
    divestment_deadline: datetime | None = None
    details: str | None = None
    citation: Citation = Citation()
    expected_version: int | None = None


@dataclass(frozen=True)
class AmendMeasure:
    """Changes to a measure's terms; a field left ``None`` keeps its current value."""

    measure_id: str
    effective_at: datetime | None = None
    programs: tuple[str, ...] | None = None
    legal_basis: str | None = None
    covers_family: bool | None = None
    divestment_deadline: datetime | None = None
    details: str | None = None
    effective_until: datetime | None = None
    clear_effective_until: bool = False
    citation: Citation = Citation()
    expected_version: int | None = None


@dataclass(frozen=True)
class RescindMeasure:
    measure_id: str
    effective_at: datetime
    citation: Citation = Citation()
    expected_version: int | None = None


@dataclass(frozen=True)
class VoidEvent:
    event_id: str
    citation: Citation = Citation()
    expected_version: int | None = None


@dataclass(frozen=True)
class RecordPublication:
    """Mark a list publication as imported, with what its import recorded.

    Sent as the last item of the action that records the publication's differences, so that
    the mark and the differences are stored together or not at all.
    """

    authority: Authority
    file: str
    observed_at: datetime
    sha256: str
    counts: tuple[int, int, int, int]  # added, amended, rescinded, unchanged


@dataclass(frozen=True)
class LinkSubjects:
    """Record that two subjects are the same, from ``effective_from`` (default: now) on.

    ``citation.reason`` is required; neither subject changes (see ``domain.link``)."""

    subject_ids: tuple[UUID, UUID]
    evidence: Evidence = field(default_factory=Evidence)
    effective_from: datetime | None = None
    citation: Citation = Citation()


@dataclass(frozen=True)
class UnlinkSubjects:
    """Record that a linked pair is no longer taken as the same, from ``effective_at`` on."""

    link_id: UUID
    effective_at: datetime | None = None
    citation: Citation = Citation()


@dataclass(frozen=True)
class RejectLink:
    """Record that two subjects are not the same, so the pair is not proposed again."""

    subject_ids: tuple[UUID, UUID]
    evidence: Evidence = field(default_factory=Evidence)
    effective_at: datetime | None = None
    citation: Citation = Citation()


Command = (
    RegisterSubject
    | AmendProfile
    | ImposeMeasure
    | AmendMeasure
    | RescindMeasure
    | VoidEvent
    | RecordPublication
    | LinkSubjects
    | UnlinkSubjects
    | RejectLink
)


@dataclass(frozen=True)
class RecordAction:
    """One announcement imposing or lifting many measures: recorded all or nothing.

    An item without a source of its own cites the action's source.
    """

    items: tuple[Command, ...]
    citation: Citation = Citation()
