"""Lists as of any point in both times: measures in force, and subjects.

Each endpoint resolves its read point and reads its page in one worker-thread call, and
answers with the views' stored documents as they are (``api.json_answers``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.auth import READ
from api.blocking import blocking
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, page_answer
from api.reading import ListRequestDep, get_reader
from api.schemas.reads import MeasurePage, SubjectPage
from application.linking.clusters import with_clusters
from application.reading import TextPage
from application.views.conditions import MeasureFilter, SubjectFilter
from domain.values import Authority, MeasureKind, SubjectKind

router = APIRouter(tags=["reading"], dependencies=[READ])
Text = Annotated[str | None, Query(min_length=1, max_length=200)]


@router.get(
    "/v1/measures",
    response_model=None,
    responses={**documented(MeasurePage), **PROBLEM_RESPONSES},
    summary="The measures in force at as_of, as known at known_at: the list as of a date",
)
async def list_measures(
    request: Request,
    asked: ListRequestDep,
    authority: Authority | None = None,
    program: Text = None,
    kind: MeasureKind | None = None,
    subject_kind: SubjectKind | None = None,
    cluster: Annotated[
        bool,
        Query(
            description="Give each measure the cluster_id of its subject's cluster of linked "
            "subjects at the read point (null if none): group a list by person, not by record"
        ),
    ] = False,
) -> Response:
    only = MeasureFilter(
        authority=None if authority is None else authority.value,
        program=program,
        kind=None if kind is None else kind.value,
        subject_kind=None if subject_kind is None else subject_kind.value,
    )

    reader = await get_reader(request)

    def read() -> TextPage:
        page = asked.resolve(reader)
        found = reader.measure_texts(page.point, only, page.after, page.limit)
        if not cluster:
            return found
        items = with_clusters(reader.views, found.items, found.point)
        return TextPage(items, found.next_cursor, found.point)

    return page_answer(await blocking(read))


@router.get(
    "/v1/subjects",
    response_model=None,
    responses={**documented(SubjectPage), **PROBLEM_RESPONSES},
    summary="Search and list subjects as of any point in both times",
)
async def list_subjects(
    request: Request,
    asked: ListRequestDep,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Part of any name or alias, ignoring case, accents and punctuation",
        ),
    ] = None,
    authority: Authority | None = None,
    program: Text = None,
    kind: SubjectKind | None = None,
    country: Text = None,
    reference: Annotated[
        str | None,
        Query(
            min_length=3, max_length=120, description="An authority's reference, e.g. US-OFAC:34021"
        ),
    ] = None,
    active: Annotated[
        bool | None,
        Query(description="Only subjects with (true) or without (false) a measure in force"),
    ] = None,
) -> Response:
    only = SubjectFilter(
        name=name,
        authority=None if authority is None else authority.value,
        program=program,
        kind=None if kind is None else kind.value,
        country=country,
        reference=reference,
        active=active,
    )

    reader = await get_reader(request)

    def read() -> TextPage:
        page = asked.resolve(reader)
        return reader.subject_texts(page.point, only, page.after, page.limit)

    return page_answer(await blocking(read))
