"""Registering subjects and reading them."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.auth import AUDIT, READ
from api.deps import WriterDep
from api.errors import PROBLEM_RESPONSES
from api.preconditions import IfMatchDep
from api.reading import ReaderDep, ReadPointDep
from api.routing import write_route
from api.schemas.subjects import HistoryOut, ProfileAmendmentIn, SubjectIn, SubjectOut
from api.schemas.writes import WriteReceiptOut
from application.documents import subject_document

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


@write_route(router, "", "Register a subject")
def register_subject(body: SubjectIn, writer: WriterDep, response: Response) -> WriteReceiptOut:
    receipt = writer.execute(body.to_command())
    response.headers["Location"] = f"/v1/subjects/{receipt.subject_ids[0]}"
    return WriteReceiptOut.of(receipt)


@write_route(router, "/{subject_id}/amendments", "Amend a subject's profile from an effective time")
def amend_profile(
    subject_id: UUID, body: ProfileAmendmentIn, writer: WriterDep, if_match: IfMatchDep
) -> WriteReceiptOut:
    return WriteReceiptOut.of(writer.execute(body.to_command(str(subject_id), if_match)))


@router.get(
    "/{subject_id}",
    response_model=SubjectOut,
    responses=PROBLEM_RESPONSES,
    summary="A subject with its profile and measures, at any point in both times",
    dependencies=[READ],
)
def get_subject(
    subject_id: UUID,
    reader: ReaderDep,
    point: ReadPointDep,
    response: Response,
    version: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**63 - 1,
            description="Read the subject as it was after this many of its events",
        ),
    ] = None,
) -> dict[str, object]:
    if version is not None:
        subject = reader.ledger.subject(subject_id, version)
        document: dict[str, object] = {
            **subject_document(subject, point.as_of),
            **point.describe(),
            "known_at": f"version:{version}",
            "position": reader.positions.of(subject_id).get(version, 0),
        }
        answered = subject.version
    else:
        document, answered = reader.subject(subject_id, point)
    response.headers["ETag"] = f'"{answered}"'
    return document


@router.get(
    "/{subject_id}/history",
    response_model=HistoryOut,
    responses=PROBLEM_RESPONSES,
    summary="Every event of a subject, in order",
    dependencies=[AUDIT],
)
def get_history(subject_id: UUID, reader: ReaderDep) -> dict[str, object]:
    return reader.history(subject_id)
