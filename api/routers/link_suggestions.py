"""Suggested links: pairs of subjects of different authorities that look like one.

``GET /v1/link-suggestions`` answers for a read point as every read does, best first, each pair
with its score, the features behind it and their contributions (``application.linking``).
Operators accept a pair with ``POST /v1/links`` and refuse one with
``POST /v1/link-rejections``; either way it is not suggested again.

Policy: ``READ``. The suggestions are made of the subjects' profiles, which every reader may
read already; operators, who decide the pairs, must see them, and the ``AUDIT`` policy does
not admit operators.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.auth import READ
from api.blocking import blocking
from api.errors import PROBLEM_RESPONSES
from api.json_answers import documented, json_answer
from api.reading import ListRequestDep, get_reader
from api.schemas.reads import ReadPointOut
from application.linking.evidence import THRESHOLD
from application.linking.suggest import Suggester, SuggestionRequest
from domain.values import Authority

router = APIRouter(tags=["links"], dependencies=[READ])


class SuggestedSubject(BaseModel):
    subject_id: str
    kind: str
    primary_name: str
    authorities: list[str] = Field(description="The authorities whose references it holds")


class SuggestionOut(BaseModel):
    subject_ids: list[str] = Field(description="The pair, as POST /v1/links takes it")
    subject_a: SuggestedSubject
    subject_b: SuggestedSubject
    score: float = Field(description="0 to 1; pairs from min_score up are suggested")
    features: dict[str, float] = Field(
        description="Each feature compared, 0 to 1: name_similarity, token_overlap, "
        "birth_date, nationality, kind, identifier (passport and national ID numbers)"
    )
    contributions: dict[str, float] = Field(
        description="How much each feature moved the score: name is the score from the names "
        "alone; the others add to it or take from it, in this order"
    )
    matched_names: list[str] | None = Field(description="The two names compared, a then b")
    shared_identifiers: list[str] = Field(description="Numbers both give (upper case, no spaces)")
    conflicting_identifiers: list[str] = Field(
        description="Kinds of number both give with none in common (strong counter-evidence)"
    )
    evidence: dict[str, Any] = Field(
        description="The reasons as POST /v1/links and POST /v1/link-rejections take them "
        "(identifiers, names, birth_dates, score, notes): send it back with the decision"
    )


class SuggestionPage(ReadPointOut):
    items: list[SuggestionOut]
    next_cursor: str | None
    min_score: float


MinScore = Annotated[
    float,
    Query(
        ge=0,
        le=1,
        description=f"The lowest score a pair may have; default {THRESHOLD}, the threshold "
        "measured by bench/linking_eval.py (no conflicting passport or national ID above it)",
    ),
]
Side = Annotated[
    Authority | None,
    Query(description="Pairs whose first subject this authority lists. Default: any"),
]
OtherSide = Annotated[
    Authority | None,
    Query(description="Pairs whose second subject this authority lists. Default: any other"),
]


def suggester_of(request: Request) -> Suggester:
    """The app's suggester, made on first use: it keeps the answers of the last read points
    asked, so that the pages of one answer are not weighed again."""
    state = request.app.state
    found = getattr(state, "link_suggester", None)
    if not isinstance(found, Suggester):
        services = state.services
        found = Suggester(services.reader, services.screening.indexed)
        state.link_suggester = found
    return found


@router.get(
    "/v1/link-suggestions",
    response_model=None,
    responses={**documented(SuggestionPage), **PROBLEM_RESPONSES},
    summary="Pairs of subjects of different authorities that may be one, best first",
)
async def link_suggestions(
    request: Request,
    asked: ListRequestDep,
    authority_a: Side = None,
    authority_b: OtherSide = None,
    min_score: MinScore = THRESHOLD,
) -> Response:
    wanted = SuggestionRequest(
        authority_a=None if authority_a is None else authority_a.value,
        authority_b=None if authority_b is None else authority_b.value,
        min_score=min_score,
    )
    reader = await get_reader(request)
    suggester = suggester_of(request)

    def read() -> dict[str, Any]:
        page = asked.resolve(reader)
        return suggester.page(page.point, wanted, page.after, page.limit)

    return json_answer(await blocking(read))
