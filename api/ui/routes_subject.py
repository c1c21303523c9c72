"""A subject's page: its profile and measures at the read point, its bitemporal picture and
its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.auth import AUDIT_POLICY
from api.reading import get_reader
from api.ui.bitemporal import Picture, layout
from api.ui.forms import SUBJECT_FORMS
from api.ui.pages import read_or_refusal
from api.ui.policy import UI, SessionDep
from api.ui.rendering import error_page, moment, pin, point_params, render
from api.ui.timeline import timeline
from application.read_points import ReadPoint

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class SubjectPage:
    point: ReadPoint
    subject: dict[str, Any]
    picture: Picture
    history: list[dict[str, Any]] | None


@router.get("/ui/subjects/{subject_id}", dependencies=[UI])
async def subject_page(
    request: Request,
    subject_id: str,
    session: SessionDep,
    as_of: str | None = None,
    known_at: str | None = None,
) -> Response:
    try:
        subject_uuid = UUID(subject_id)
    except ValueError:
        return error_page(
            request, session, 404, "Not found", f"no subject has the id {subject_id!r}"
        )
    reader = await get_reader(request)
    redirect = await pin(request, reader)
    if redirect is not None:
        return redirect
    audits = AUDIT_POLICY.admits(session.key.role, public_reads=False)

    def read() -> SubjectPage:
        point = reader.point(moment(as_of, "as_of"), known_at or None)
        subject, _ = reader.subject(subject_uuid, point)
        drawn = timeline(reader, subject_uuid, point.position)
        picture = layout(drawn.bands, drawn.rows, point.as_of)
        history = None
        if audits:
            events = reader.history(subject_uuid)["events"]
            history = [e for e in events if (e["position"] or 0) <= point.position]
        return SubjectPage(point, subject, picture, history)

    page = await read_or_refusal(request, session, read)
    if isinstance(page, Response):
        return page
    context = {
        "point": page.point,
        "params": point_params(page.point),
        "subject": page.subject,
        "picture": page.picture,
        "history": page.history,
        "forms": SUBJECT_FORMS,
    }
    return render(request, "subject.html", context, session)
