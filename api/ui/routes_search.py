"""Search by name or alias, scored by the ledger's screening, with filters and a read point."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.reading import get_reader
from api.ui.forms import AUTHORITIES
from api.ui.pages import read_or_refusal
from api.ui.policy import UI, SessionDep
from api.ui.rendering import moment, pin, point_params, render
from application.read_points import ReadPoint
from application.screening.model import Query
from application.screening.service import Filters, ScreeningRequest
from application.views.conditions import SubjectFilter
from domain.values import SubjectKind

router = APIRouter(include_in_schema=False)
HITS = 20
OTHERS = 50
SEARCH_THRESHOLD = 0.3
"""Lower than the screening's own default (made for alerts on whole names): a person
searching types part of a name ("soyin" scores 0.5 against "SOIN, Dmitriy Yurevich") and
reads the scores shown beside the hits."""
KINDS = tuple(kind.value for kind in SubjectKind)


@router.get("/ui/search", dependencies=[UI])
async def search_page(
    request: Request,
    session: SessionDep,
    q: str | None = None,
    authority: str | None = None,
    program: str | None = None,
    kind: str | None = None,
    min_score: float = SEARCH_THRESHOLD,
    as_of: str | None = None,
    known_at: str | None = None,
) -> Response:
    reader = await get_reader(request)
    redirect = await pin(request, reader)
    if redirect is not None:
        return redirect
    services = request.app.state.services
    term = (q or "").strip() or None
    only = SubjectFilter(
        name=term, authority=authority or None, program=program or None, kind=kind or None
    )

    def read() -> dict[str, Any]:
        point = reader.point(moment(as_of, "as_of"), known_at or None)
        screening = None
        if term is not None:
            asked = ScreeningRequest(
                (Query(name=term),),
                point.as_of,
                f"position:{point.position}",
                threshold=min(max(min_score, 0.0), 1.0),
                limit=HITS,
                filters=Filters(
                    kinds=(kind,) if kind else (),
                    authorities=(authority,) if authority else (),
                    programs=(program,) if program else (),
                ),
            )
            screening = services.screening.screen(asked, session.key.id)
        listed = reader.subjects(point, only, None, OTHERS).items if _asks(only) else []
        return _results(point, screening, listed)

    found = await read_or_refusal(request, session, read)
    if isinstance(found, Response):
        return found
    context = {
        **found,
        "params": point_params(found["point"]),
        "asked": {
            "q": term or "",
            "authority": authority,
            "program": program,
            "kind": kind,
            "min_score": min_score,
        },
        "authorities": AUTHORITIES,
        "kinds": KINDS,
    }
    return render(request, "search.html", context, session)


def _asks(only: SubjectFilter) -> bool:
    return any((only.name, only.authority, only.program, only.kind))


def _results(
    point: ReadPoint, screening: dict[str, Any] | None, listed: list[dict[str, Any]]
) -> dict[str, Any]:
    """The screening's scored hits, then the subjects a plain name search finds that the
    screening did not score (no measure in force at the point, or a weaker match)."""
    hits = screening["results"][0]["hits"] if screening else []
    scored = {hit["subject_id"] for hit in hits}
    return {
        "point": point,
        "screening_id": screening["screening_id"] if screening else None,
        "threshold": screening["threshold"] if screening else None,
        "hits": hits,
        "others": [item for item in listed if item["subject_id"] not in scored],
    }
