"""Subjects over HTTP: registering, amending and reading them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from api.schemas.common import ActorOut, Cited, Moment, ShortText, SourceOut, Strict
from application.commands import AmendProfile, RegisterSubject
from domain.values import (
    Address,
    Authority,
    Detail,
    Identifier,
    Name,
    NameType,
    Profile,
    Reference,
    SubjectKind,
)


class NameIn(Strict):
    value: ShortText
    type: NameType = NameType.PRIMARY


class IdentifierIn(Strict):
    kind: ShortText = Field(examples=["passport", "national_id", "tax_id", "imo"])
    value: ShortText
    country: ShortText | None = None
    note: ShortText | None = None


class AddressIn(Strict):
    text: ShortText
    country: ShortText | None = None


class DetailIn(Strict):
    label: ShortText
    value: ShortText


class ReferenceIn(Strict):
    authority: Authority
    id: Annotated[str, Field(min_length=1, max_length=100)]

    def to_value(self) -> Reference:
        return Reference(self.authority, self.id)


Many: Any = Field(default_factory=list, max_length=500)


class ProfileIn(Strict):
    names: list[NameIn] = Field(
        min_length=1,
        max_length=500,
        description="The primary name first (or, for a subject the source leaves unnamed, "
        "a name of type 'description' saying how the source describes it)",
    )
    identifiers: list[IdentifierIn] = Many
    birth_dates: list[ShortText] = Field(
        default_factory=list,
        max_length=50,
        description="Partial ISO dates as the source gives them: '1969-08-07', '1953-08', '1960'",
    )
    birth_places: list[ShortText] = Many
    nationalities: list[ShortText] = Many
    addresses: list[AddressIn] = Many
    links: list[ShortText] = Many
    title: ShortText | None = None
    gender: ShortText | None = None
    remarks: Annotated[str, Field(max_length=20_000)] | None = None
    details: list[DetailIn] = Many

    def to_profile(self) -> Profile:
        return Profile(
            names=tuple(Name(n.value, n.type) for n in self.names),
            identifiers=tuple(
                Identifier(i.kind, i.value, i.country, i.note) for i in self.identifiers
            ),
            birth_dates=tuple(self.birth_dates),
            birth_places=tuple(self.birth_places),
            nationalities=tuple(self.nationalities),
            addresses=tuple(Address(a.text, a.country) for a in self.addresses),
            links=tuple(self.links),
            title=self.title,
            gender=self.gender,
            remarks=self.remarks,
            details=tuple(Detail(d.label, d.value) for d in self.details),
        )


class SubjectIn(Cited):
    kind: SubjectKind
    profile: ProfileIn
    references: list[ReferenceIn] = Field(default_factory=list, max_length=50)
    effective_at: Moment | None = Field(
        default=None, description="Since when the profile holds; default: now"
    )

    def to_command(self, key: str | None = None) -> RegisterSubject:
        return RegisterSubject(
            kind=self.kind,
            profile=self.profile.to_profile(),
            references=tuple(r.to_value() for r in self.references),
            effective_at=self.effective_at,
            citation=self.citation(),
            key=key,
        )


class ProfileAmendmentIn(Cited):
    """A new profile, in full, holding from ``effective_at``; references, if given,
    replace the subject's references."""

    profile: ProfileIn
    references: list[ReferenceIn] | None = Field(default=None, max_length=50)
    effective_at: Moment | None = None

    def to_command(self, subject: str, expected_version: int | None = None) -> AmendProfile:
        return AmendProfile(
            subject=subject,
            profile=self.profile.to_profile(),
            references=(
                None if self.references is None else tuple(r.to_value() for r in self.references)
            ),
            effective_at=self.effective_at,
            citation=self.citation(),
            expected_version=expected_version,
        )


class NameOut(BaseModel):
    value: str
    type: NameType


class ProfileOut(BaseModel):
    primary_name: str
    names: list[NameOut]
    identifiers: list[dict[str, Any]]
    birth_dates: list[str]
    birth_places: list[str]
    nationalities: list[str]
    addresses: list[dict[str, Any]]
    links: list[str]
    title: str | None
    gender: str | None
    remarks: str | None
    details: list[dict[str, Any]]


class ReferenceOut(BaseModel):
    authority: str
    id: str


class MeasureFields(BaseModel):
    """What every answer shows of a measure, read at ``as_of``."""

    measure_id: str
    subject_id: str
    kind: str
    authority: str
    programs: list[str] = Field(description="The programs at as_of")
    legal_basis: str | None
    covers_family: bool
    divestment_deadline: datetime | None
    details: str | None
    effective_from: datetime
    effective_until: datetime | None
    rescinded_at: datetime | None
    imposed_by: str = Field(description="The event that imposed the measure")
    rescinded_by: str | None
    source: SourceOut | None
    reason: str | None


class MeasureOut(MeasureFields):
    status: str = Field(description="pending, in_force, rescinded or expired at as_of")
    in_force: bool


class ClusterRefOut(BaseModel):
    """The cluster a subject belongs to at the read point (``GET /v1/clusters/{id}``), and
    its other members."""

    cluster_id: str
    members: list[str]


class SubjectOut(BaseModel):
    subject_id: str
    kind: SubjectKind
    version: int
    references: list[ReferenceOut]
    profile: ProfileOut
    measures: list[MeasureOut]
    registered_at: datetime
    updated_at: datetime
    as_of: datetime = Field(description="The effective time this answer reads at")
    known_at: str = Field(description="The recorded time or log position this answer reads at")
    position: int = Field(description="The log position this answer reflects")
    cluster: ClusterRefOut | None = Field(
        default=None, description="The subject's cluster of linked subjects, if any"
    )


class EventOut(BaseModel):
    event_id: str
    subject_id: str
    version: int
    type: str
    position: int | None
    recorded_at: datetime
    recorded_by: ActorOut
    source: SourceOut | None
    reason: str | None
    voided_by: str | None = None
    data: dict[str, Any]


class HistoryOut(BaseModel):
    subject_id: str
    events: list[EventOut]
    position: int
