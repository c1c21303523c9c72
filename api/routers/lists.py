"""Lists as of any point in both times: measures in force, and subjects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth import READ
from api.errors import PROBLEM_RESPONSES
from api.reading import ListRequestDep, ReaderDep
from api.schemas.reads import MeasurePage, SubjectPage
from application.reading import Page
from application.views.queries import MeasureFilter, SubjectFilter
from domain.values import Authority, MeasureKind, SubjectKind

router = APIRouter(tags=["reading"], dependencies=[READ])
Text = Annotated[str | None, Query(min_length=1, max_length=200)]


def _page(page: Page) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": page.next_cursor, **page.point.describe()}


@router.get(
    "/v1/measures",
    response_model=MeasurePage,
    responses=PROBLEM_RESPONSES,
    summary="The measures in force at as_of, as known at known_at: the list as of a date",
)
def list_measures(
    reader: ReaderDep,
    request: ListRequestDep,
    authority: Authority | None = None,
    program: Text = None,
    kind: MeasureKind | None = None,
    subject_kind: SubjectKind | None = None,
) -> dict[str, Any]:
    only = MeasureFilter(
        authority=None if authority is None else authority.value,
        program=program,
        kind=None if kind is None else kind.value,
        subject_kind=None if subject_kind is None else subject_kind.value,
    )
    return _page(reader.measures(request.point, only, request.after, request.limit))


@router.get(
    "/v1/subjects",
    response_model=SubjectPage,
    responses=PROBLEM_RESPONSES,
    summary="Search and list subjects as of any point in both times",
)
def list_subjects(
    reader: ReaderDep,
    request: ListRequestDep,
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
) -> dict[str, Any]:
    only = SubjectFilter(
        name=name,
        authority=None if authority is None else authority.value,
        program=program,
        kind=None if kind is None else kind.value,
        country=country,
        reference=reference,
        active=active,
    )
    return _page(reader.subjects(request.point, only, request.after, request.limit))
