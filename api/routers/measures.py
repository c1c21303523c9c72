"""Imposing, amending and rescinding measures."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response

from api.deps import WriterDep
from api.preconditions import IfMatchDep
from api.routing import receipt_answer, write_route
from api.schemas.measures import (
    DesignationIn,
    InvestmentRestrictionIn,
    MeasureAmendmentIn,
    RescissionIn,
    VisaBanIn,
)

router = APIRouter(tags=["measures"])


@write_route(router, "/v1/subjects/{subject_id}/designations", "Designate (freeze assets)")
async def designate(
    subject_id: UUID, body: DesignationIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(subject_id, if_match)))


@write_route(router, "/v1/subjects/{subject_id}/visa-bans", "Ban entry")
async def visa_ban(
    subject_id: UUID, body: VisaBanIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(subject_id, if_match)))


@write_route(
    router, "/v1/subjects/{subject_id}/investment-restrictions", "Restrict investment in securities"
)
async def restrict_investment(
    subject_id: UUID, body: InvestmentRestrictionIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(subject_id, if_match)))


@write_route(router, "/v1/measures/{measure_id}/amendments", "Amend a measure's terms")
async def amend_measure(
    measure_id: str, body: MeasureAmendmentIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(measure_id, if_match)))


@write_route(router, "/v1/measures/{measure_id}/rescission", "Rescind a measure")
async def rescind(
    measure_id: str, body: RescissionIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(measure_id, if_match)))
