"""Links between subjects and the clusters they make (``domain.link``,
``application.linking``).

Writes are decisions about a pair (link, unlink, reject), recorded like every other write:
group-committed, idempotent with ``Idempotency-Key``, answered with their events' ids and
log position. Reads take ``as_of`` (the decisions' effective times) and ``known_at`` (when
the ledger recorded them), as every read does."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from api.auth import READ
from api.blocking import blocking
from api.deps import WriterDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, json_answer
from api.reading import AsOf, KnownAt, ListRequestDep, MinPosition, ReadAsked, get_reader
from api.routing import receipt_answer, write_route
from api.schemas.links import (
    ClusterOut,
    LinkIn,
    LinkOut,
    LinkPage,
    RejectionIn,
    Status,
    UnlinkingIn,
)
from application.linking.clusters import At, cluster_ref
from application.linking.listing import link_page
from application.linking.reads import cluster_document, read_link
from application.reading import Reader

router = APIRouter(tags=["links"])


@write_route(router, "/v1/links", "Link two subjects: the same person or entity")
async def link_subjects(body: LinkIn, writer: WriterDep) -> Response:
    receipt = await writer.record(body.to_command)
    return receipt_answer(receipt, {"Location": f"/v1/links/{receipt.link_ids[0]}"})


@write_route(router, "/v1/links/{link_id}/unlinking", "Unlink a linked pair")
async def unlink_subjects(link_id: UUID, body: UnlinkingIn, writer: WriterDep) -> Response:
    return receipt_answer(await writer.record(lambda: body.to_command(link_id)))


@write_route(router, "/v1/link-rejections", "Record that two subjects are not the same")
async def reject_link(body: RejectionIn, writer: WriterDep) -> Response:
    receipt = await writer.record(body.to_command)
    return receipt_answer(receipt, {"Location": f"/v1/links/{receipt.link_ids[0]}"})


@router.get(
    "/v1/links",
    response_model=None,
    responses={**documented(LinkPage), **PROBLEM_RESPONSES},
    summary="The decisions about pairs holding at as_of, as known at known_at",
    dependencies=[READ],
)
async def list_links(
    request: Request,
    asked: ListRequestDep,
    status: Status | None = None,
    subject_id: Annotated[UUID | None, Query(description="Only this subject's pairs")] = None,
) -> Response:
    reader = await get_reader(request)

    def read() -> dict[str, Any]:
        page = asked.resolve(reader)
        subject = None if subject_id is None else str(subject_id)
        return link_page(reader.views, page.point, status, subject, page.after, page.limit)

    return json_answer(await blocking(read))


@router.get(
    "/v1/links/{link_id}",
    response_model=None,
    responses={**documented(LinkOut), **PROBLEM_RESPONSES},
    summary="Every decision about a pair, and the one holding at as_of",
    dependencies=[READ],
)
async def get_link(
    link_id: UUID,
    request: Request,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    min_position: MinPosition = None,
) -> Response:
    reader = await get_reader(request)
    asked = ReadAsked(as_of, known_at, min_position)

    def read() -> dict[str, Any]:
        point = asked.resolve(reader)
        document = read_link(reader.ledger, reader.positions, reader.views, link_id, point)
        return {**document, **point.describe()}

    return json_answer(await blocking(read))


@router.get(
    "/v1/clusters/{cluster_id}",
    response_model=None,
    responses={**documented(ClusterOut), **PROBLEM_RESPONSES},
    summary="A cluster of linked subjects: every measure of every member, by authority",
    description=(
        "The cluster holding the subject the id names ('cl_<subject id>'; any member's id "
        "finds it, and the answer gives the canonical one) at as_of/known_at, with each "
        "member as GET /v1/subjects/{id} reads it and every member's measure summarized: "
        "'designation by US-OFAC since 2021-12-10 (DPRK3)'."
    ),
    dependencies=[READ],
)
async def get_cluster(
    cluster_id: str,
    request: Request,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    min_position: MinPosition = None,
) -> Response:
    reader = await get_reader(request)
    asked = ReadAsked(as_of, known_at, min_position)

    def read() -> dict[str, Any]:
        point = asked.resolve(reader)

        def member(subject_id: UUID) -> dict[str, Any]:
            return reader.subject(subject_id, point)[0]  # with its cluster, this one

        document = cluster_document(reader.views, cluster_id, point, member)
        return {**document, **point.describe()}

    return json_answer(await blocking(read))


def with_cluster_at(reader: Reader, document: dict[str, Any]) -> dict[str, Any]:
    """A subject's document with its cluster at the point the document answers for (its
    ``as_of`` and ``position``), unless the reader already added it."""
    if "cluster" in document:
        return document
    as_of = datetime.fromisoformat(str(document["as_of"]))
    point = At(as_of, int(document["position"]))
    return {**document, "cluster": cluster_ref(reader.views, str(document["subject_id"]), point)}
