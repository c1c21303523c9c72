"""Small builders that keep domain tests about the rule they test."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.provenance import Provenance
from domain.subject import Subject
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    MeasureTerms,
    Name,
    NameType,
    Profile,
    Reference,
    Source,
    SubjectKind,
)

RECORDED = datetime(2026, 1, 5, tzinfo=UTC)
WHO = Provenance(Actor("k1", "operator"), RECORDED, Source(Authority.US_OFAC, "test"))


def at(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def soin() -> Subject:
    return Subject.register(
        kind=SubjectKind.PERSON,
        profile=Profile(
            (Name("SOIN, Dmitriy Yurevich"), Name("SOYIN, Dmitriy Yuryevich", NameType.AKA))
        ),
        references=[Reference(Authority.US_OFAC, "34021")],
        effective_at=at("2021-12-10"),
        provenance=WHO,
    )


def designate(
    subject: Subject,
    start: str,
    until: str | None = None,
    programs: tuple[str, ...] = ("DPRK3",),
    authority: Authority = Authority.US_OFAC,
    kind: MeasureKind = MeasureKind.DESIGNATION,
) -> Subject.MeasureImposed:
    return subject.impose(
        kind=kind,
        authority=authority,
        terms=MeasureTerms(programs, covers_family=kind == MeasureKind.VISA_BAN),
        effective_from=at(start),
        effective_until=None if until is None else at(until),
        provenance=WHO,
    )
