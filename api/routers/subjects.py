"""Registering subjects and reading them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.deps import ActorDep, LedgerDep, ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.routing import write_route
from api.schemas.common import Moment
from api.schemas.subjects import HistoryOut, ProfileAmendmentIn, SubjectIn, SubjectOut
from api.schemas.writes import WriteReceiptOut
from application.documents import history_documents, iso, subject_document
from application.ledger import utc_now

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


@write_route(router, "", "Register a subject")
def register_subject(
    body: SubjectIn, ledger: LedgerDep, actor: ActorDep, response: Response
) -> WriteReceiptOut:
    receipt = ledger.execute(body.to_command(), actor)
    response.headers["Location"] = f"/v1/subjects/{receipt.subject_ids[0]}"
    return WriteReceiptOut.of(receipt)


@write_route(router, "/{subject_id}/amendments", "Amend a subject's profile from an effective time")
def amend_profile(
    subject_id: UUID, body: ProfileAmendmentIn, ledger: LedgerDep, actor: ActorDep
) -> WriteReceiptOut:
    return WriteReceiptOut.of(ledger.execute(body.to_command(str(subject_id)), actor))


@router.get(
    "/{subject_id}",
    response_model=SubjectOut,
    responses=PROBLEM_RESPONSES,
    summary="A subject with its profile and measures",
)
def get_subject(
    subject_id: UUID,
    services: ServicesDep,
    response: Response,
    as_of: Annotated[Moment | None, Query(description="Effective time; default now")] = None,
    version: Annotated[
        int | None, Query(ge=1, description="Read the subject as it was after this many events")
    ] = None,
) -> dict[str, object]:
    at: datetime = as_of or utc_now()
    subject = services.ledger.subject(subject_id, version)
    response.headers["ETag"] = f'"{subject.version}"'
    document = subject_document(subject, at)
    position = services.positions.of(subject_id).get(subject.version, 0)
    return {**document, "as_of": iso(at), "known_at": "now", "position": position}


@router.get(
    "/{subject_id}/history",
    response_model=HistoryOut,
    responses=PROBLEM_RESPONSES,
    summary="Every event of a subject, in order",
)
def get_history(subject_id: UUID, services: ServicesDep) -> dict[str, object]:
    subject = services.ledger.subject(subject_id)
    positions = services.positions.of(subject_id)
    return {
        "subject_id": str(subject_id),
        "events": history_documents(subject, positions),
        "position": max(positions.values(), default=0),
    }
