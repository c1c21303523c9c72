"""Links between subjects over HTTP: deciding about a pair, and reading links and clusters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import ActorOut, LongText, Moment, ShortText, SourceIn, SourceOut, Strict
from api.schemas.subjects import IdentifierIn, SubjectOut
from application.commands import Citation, LinkSubjects, RejectLink, UnlinkSubjects
from domain.link import Evidence
from domain.values import Identifier

Pair = Annotated[
    list[UUID],
    Field(min_length=2, max_length=2, description="The two subjects' ids, in any order"),
]
Status = Literal["linked", "unlinked", "rejected"]


class EvidenceIn(Strict):
    """What the decision rests on: identifiers, names and dates of birth both records carry
    (or that conflict, for a rejection)."""

    identifiers: Annotated[list[IdentifierIn], Field(max_length=50)] = []
    names: Annotated[list[ShortText], Field(max_length=50)] = []
    birth_dates: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = []
    score: Annotated[float, Field(ge=0, le=1)] | None = None
    notes: LongText | None = None

    def to_value(self) -> Evidence:
        return Evidence(
            identifiers=tuple(
                Identifier(i.kind, i.value, i.country, i.note) for i in self.identifiers
            ),
            names=tuple(self.names),
            birth_dates=tuple(self.birth_dates),
            score=self.score,
            notes=self.notes,
        )


class DecisionIn(Strict):
    reason: LongText = Field(description="Why: what the operator saw")
    source: SourceIn | None = None
    confirm_unusual_dates: bool = Field(
        default=False,
        description="Record an effective date before 1945 or more than a year ahead anyway",
    )

    def citation(self) -> Citation:
        source = None if self.source is None else self.source.to_value()
        return Citation(source, self.reason, self.confirm_unusual_dates)


class LinkIn(DecisionIn):
    """Two subjects are the same, from ``effective_from`` (default: now) on."""

    subject_ids: Pair
    evidence: EvidenceIn = EvidenceIn()
    effective_from: Moment | None = None

    def to_command(self) -> LinkSubjects:
        first, second = self.subject_ids
        return LinkSubjects(
            (first, second), self.evidence.to_value(), self.effective_from, self.citation()
        )


class UnlinkingIn(DecisionIn):
    """A linked pair is no longer taken as the same, from ``effective_at`` (default: now)
    on; effective at the linking's own effective time, it says they never were."""

    effective_at: Moment | None = None

    def to_command(self, link_id: UUID) -> UnlinkSubjects:
        return UnlinkSubjects(link_id, self.effective_at, self.citation())


class RejectionIn(DecisionIn):
    """Two subjects are not the same: the pair is not suggested again."""

    subject_ids: Pair
    evidence: EvidenceIn = EvidenceIn()
    effective_at: Moment | None = None

    def to_command(self) -> RejectLink:
        first, second = self.subject_ids
        return RejectLink(
            (first, second), self.evidence.to_value(), self.effective_at, self.citation()
        )


# Reads ------------------------------------------------------------------------------------


class IdentifierOut(BaseModel):
    kind: str
    value: str
    country: str | None
    note: str | None


class EvidenceOut(BaseModel):
    identifiers: list[IdentifierOut]
    names: list[str]
    birth_dates: list[str]
    score: float | None
    notes: str | None


class DecisionOut(BaseModel):
    event_id: str
    type: Status
    recorded_at: datetime
    effective_at: datetime
    recorded_by: ActorOut
    reason: str | None
    source: SourceOut | None
    evidence: EvidenceOut


class LoggedDecisionOut(DecisionOut):
    position: int | None


class LinkPeriodOut(BaseModel):
    """A stretch of effective time over which one decision about the pair holds."""

    link_id: str
    subject_ids: list[str]
    status: Status
    effective_from: datetime
    effective_until: datetime | None
    decision: DecisionOut
    ended_by: DecisionOut | None


class LinkOut(BaseModel):
    link_id: str
    subject_ids: list[str]
    status: Status | None = Field(
        description="The decision holding at as_of (null before the first takes effect)"
    )
    decisions: list[LoggedDecisionOut] = Field(description="Every decision known at known_at")
    periods: list[LinkPeriodOut]
    as_of: datetime
    known_at: str
    position: int


class LinkPage(BaseModel):
    items: list[LinkPeriodOut]
    next_cursor: str | None
    as_of: datetime
    known_at: str
    position: int


class ClusterMeasureOut(BaseModel):
    """A member's measure, with a summary: "designation by US-OFAC since 2021-12-10"."""

    model_config = {"extra": "allow"}

    measure_id: str
    subject_id: str
    authority: str
    kind: str
    summary: str


class ClusterOut(BaseModel):
    cluster_id: str = Field(description="'cl_' and the smallest member subject id")
    members: list[SubjectOut]
    measures: list[ClusterMeasureOut] = Field(description="Every measure of every member")
    links: list[LinkPeriodOut] = Field(description="The links holding the cluster together")
    as_of: datetime
    known_at: str
    position: int
