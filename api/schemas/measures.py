"""Measures over HTTP: imposing, amending and rescinding them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import Field

from api.schemas.common import Cited, LongText, Moment, ShortText
from application.commands import AmendMeasure, ImposeMeasure, RescindMeasure, SubjectRef
from domain.values import Authority, MeasureKind

Program = Annotated[str, Field(min_length=1, max_length=100)]
Programs = Annotated[list[Program], Field(min_length=1, max_length=50)]


class MeasureIn(Cited):
    authority: Authority
    programs: Programs = Field(examples=[["DPRK3"], ["GLOMAG"]])
    legal_basis: ShortText | None = Field(default=None, examples=["E.O. 13818"])
    effective_from: Moment
    effective_until: Moment | None = None
    details: LongText | None = None

    KIND: ClassVar[MeasureKind] = MeasureKind.DESIGNATION

    def to_command(self, subject: SubjectRef, expected_version: int | None = None) -> ImposeMeasure:
        return ImposeMeasure(
            subject=subject,
            kind=self.KIND,
            authority=self.authority,
            programs=tuple(self.programs),
            effective_from=self.effective_from,
            effective_until=self.effective_until,
            legal_basis=self.legal_basis,
            details=self.details,
            citation=self.citation(),
            expected_version=expected_version,
            covers_family=self.family_covered(),
            divestment_deadline=self.deadline(),
        )

    def family_covered(self) -> bool:
        return False

    def deadline(self) -> datetime | None:
        return None


class DesignationIn(MeasureIn):
    """An asset freeze (blocking)."""


class VisaBanIn(MeasureIn):
    covers_family: bool = Field(
        default=False, description="Whether the ban covers the subject's immediate family"
    )

    KIND: ClassVar[MeasureKind] = MeasureKind.VISA_BAN

    def family_covered(self) -> bool:
        return self.covers_family


class InvestmentRestrictionIn(MeasureIn):
    divestment_deadline: Moment | None = Field(
        default=None, description="Until when holders may still sell to divest"
    )

    KIND: ClassVar[MeasureKind] = MeasureKind.INVESTMENT_RESTRICTION

    def deadline(self) -> datetime | None:
        return self.divestment_deadline


class MeasureAmendmentIn(Cited):
    """New terms holding from ``effective_at``; a field left out keeps its value."""

    effective_at: Moment | None = Field(default=None, description="Default: now")
    programs: Programs | None = None
    legal_basis: ShortText | None = None
    covers_family: bool | None = None
    divestment_deadline: Moment | None = None
    details: LongText | None = None
    effective_until: Moment | None = None
    clear_effective_until: bool = False

    def to_command(self, measure_id: str, expected_version: int | None = None) -> AmendMeasure:
        return AmendMeasure(
            measure_id=measure_id,
            effective_at=self.effective_at,
            programs=None if self.programs is None else tuple(self.programs),
            legal_basis=self.legal_basis,
            covers_family=self.covers_family,
            divestment_deadline=self.divestment_deadline,
            details=self.details,
            effective_until=self.effective_until,
            clear_effective_until=self.clear_effective_until,
            citation=self.citation(),
            expected_version=expected_version,
        )


class RescissionIn(Cited):
    effective_at: Moment = Field(description="When the measure stops being in force")

    def to_command(self, measure_id: str, expected_version: int | None = None) -> RescindMeasure:
        return RescindMeasure(
            measure_id=measure_id,
            effective_at=self.effective_at,
            citation=self.citation(),
            expected_version=expected_version,
        )
