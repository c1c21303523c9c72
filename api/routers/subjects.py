"""Registering subjects and reading them.

Every endpoint is a coroutine doing its blocking work in one worker-thread call: the read
point and the subject together, or the whole write. The busiest read, a subject as it stands
now, is one indexed lookup, made on the event loop where the store allows
(``api.blocking.short_read``)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.auth import AUDIT, READ
from api.blocking import blocking, short_read
from api.deps import WriterDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, json_answer
from api.preconditions import IfMatchDep
from api.reading import (
    AsOf,
    KnownAt,
    MinPosition,
    ReadAsked,
    ReaderDep,
    get_reader,
)
from api.routers.links import with_cluster_at
from api.routing import receipt_answer, write_route
from api.schemas.subjects import HistoryOut, ProfileAmendmentIn, SubjectIn, SubjectOut
from application.documents import subject_document
from application.read_points import ReadPoint
from application.reading import Reader

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


@write_route(router, "", "Register a subject")
async def register_subject(body: SubjectIn, writer: WriterDep) -> Response:
    receipt = await writer.record(body.to_command)
    return receipt_answer(receipt, {"Location": f"/v1/subjects/{receipt.subject_ids[0]}"})


@write_route(router, "/{subject_id}/amendments", "Amend a subject's profile from an effective time")
async def amend_profile(
    subject_id: UUID, body: ProfileAmendmentIn, writer: WriterDep, if_match: IfMatchDep
) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(str(subject_id), if_match)))


@router.get(
    "/{subject_id}",
    response_model=None,
    responses={**documented(SubjectOut), **PROBLEM_RESPONSES},
    summary="A subject with its profile and measures, at any point in both times",
    dependencies=[READ],
)
async def get_subject(
    subject_id: UUID,
    request: Request,
    version: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**63 - 1,
            description="Read the subject as it was after this many of its events",
        ),
    ] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    min_position: MinPosition = None,
) -> Response:
    # The read point's parameters are the endpoint's own rather than a dependency, and
    # the reader is taken from the app: the busiest read resolves no dependency but its
    # access policy.
    reader = await get_reader(request)
    asked = ReadAsked(as_of, known_at, min_position)
    if version is None and known_at is None:
        # Where the views are at the end of the log: one lookup. Else the general way below,
        # which may wait for the views.
        in_process = request.app.state.services.reads_in_process
        now = await short_read(in_process, reader.subject_now, subject_id, as_of, min_position)
        if now is not None:
            return json_answer(now[0], {"ETag": f'"{now[1]}"'})

    def read() -> tuple[dict[str, object], int]:
        point = asked.resolve(reader)
        if version is None:
            document, answered = reader.subject(subject_id, point)
        else:
            document, answered = _subject_at_version(reader, subject_id, version, point)
        return with_cluster_at(reader, document), answered

    document, answered = await blocking(read)
    return json_answer(document, {"ETag": f'"{answered}"'})


def _subject_at_version(
    reader: Reader, subject_id: UUID, version: int, point: ReadPoint
) -> tuple[dict[str, object], int]:
    """The subject after its ``version``-th event, replayed from the log."""
    subject = reader.ledger.subject(subject_id, version)
    document: dict[str, object] = {
        **subject_document(subject, point.as_of),
        **point.describe(),
        "known_at": f"version:{version}",
        "position": reader.positions.of(subject_id).get(version, 0),
    }
    return document, subject.version


@router.get(
    "/{subject_id}/history",
    response_model=None,
    responses={**documented(HistoryOut), **PROBLEM_RESPONSES},
    summary="Every event of a subject, in order",
    dependencies=[AUDIT],
)
async def get_history(subject_id: UUID, reader: ReaderDep) -> Response:
    return json_answer(await blocking(reader.history, subject_id))
