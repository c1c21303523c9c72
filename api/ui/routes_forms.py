"""The operator's forms: designate, ban entry, restrict investment, rescind, void.

Each form records through the same commands as the API's write routes (the API's request
models make them, ``api.ui.forms``), as the signed-in key. A form shows the subject's version
it was read at and sends it back, like ``If-Match``: a write made meanwhile by someone else
is refused (``412``) rather than silently overtaken. Success is a redirect to the subject's
page at the new end of the log, which shows what was recorded.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.blocking import blocking
from api.reading import get_reader
from api.ui.forms import (
    FORMS,
    GENERAL,
    SUBJECT_FORMS,
    FormSpec,
    Outcome,
    refused,
    validated,
    values_of,
)
from api.ui.pages import read_or_refusal
from api.ui.policy import UI_OPERATE, SessionDep
from api.ui.rendering import error_page, render
from api.ui.sessions import Session
from application.bootstrap import Services
from domain.errors import InvalidValue, LedgerError

router = APIRouter(include_in_schema=False)
SUBJECT_FORM = "/ui/subjects/{subject_id}/{form}"
MEASURE_FORM = "/ui/measures/{measure_id}/rescind"
EVENT_FORM = "/ui/events/{event_id}/void"


def _subject_of(target: str) -> UUID:
    """The subject a subject id, a measure id (``<subject>.<n>``) or an event id
    (``<subject>@<version>``) names."""
    try:
        return UUID(target.split("@", 1)[0].split(".", 1)[0])
    except ValueError:
        raise InvalidValue(f"{target!r} names no subject of this ledger") from None


def _target(spec: FormSpec, request: Request) -> str:
    params = request.path_params
    if spec.slug == "rescind":
        return str(params["measure_id"])
    if spec.slug == "void":
        return str(params["event_id"])
    return str(params["subject_id"])


async def _show(request: Request, session: Session, spec: FormSpec, outcome: Outcome) -> Response:
    """The form, with the subject it concerns as the ledger knows it now."""
    reader = await get_reader(request)
    target = _target(spec, request)

    def read() -> dict[str, Any]:
        subject, version = reader.subject(_subject_of(target), reader.point())
        return {**subject, "read_version": version}

    subject = await read_or_refusal(request, session, read)
    if isinstance(subject, Response):
        return subject
    context = {
        "spec": spec,
        "target": target,
        "subject": subject,
        "expected_version": outcome.values.get("expected_version") or str(subject["read_version"]),
        "values": outcome.values,
        "errors": outcome.errors,
        "general": outcome.errors.get(GENERAL, []),
        "title": outcome.title,
    }
    return render(request, "form.html", context, session, status=outcome.status)


def _spec(request: Request) -> FormSpec | None:
    """The form the path names: one of a subject's, or the measure's or the event's."""
    slug = request.path_params.get("form")
    if slug is not None:
        return FORMS[slug] if slug in SUBJECT_FORMS else None
    return FORMS.get(request.url.path.rsplit("/", 1)[-1])


@router.get(SUBJECT_FORM, dependencies=[UI_OPERATE])
@router.get(MEASURE_FORM, dependencies=[UI_OPERATE])
@router.get(EVENT_FORM, dependencies=[UI_OPERATE])
async def form_page(request: Request, session: SessionDep) -> Response:
    spec = _spec(request)
    if spec is None:
        return error_page(request, session, 404, "Not found", "there is no such form")
    return await _show(request, session, spec, Outcome({}))


@router.post(SUBJECT_FORM, dependencies=[UI_OPERATE])
@router.post(MEASURE_FORM, dependencies=[UI_OPERATE])
@router.post(EVENT_FORM, dependencies=[UI_OPERATE])
async def submit_form(request: Request, session: SessionDep) -> Response:
    spec = _spec(request)
    if spec is None:
        return error_page(request, session, 404, "Not found", "there is no such form")
    form = await request.form()
    values = values_of(form, spec)
    expected = form.get("expected_version")
    values["expected_version"] = expected if isinstance(expected, str) else ""
    model, outcome = validated(spec, values)
    if model is None:
        return await _show(request, session, spec, outcome)
    services: Services = request.app.state.services
    target = _target(spec, request)
    version = int(values["expected_version"]) if values["expected_version"].isdigit() else None

    def record() -> UUID:
        subject = _subject_of(target)
        command_target: Any = subject if spec.slug not in ("rescind", "void") else target
        command = model.to_command(command_target, version)  # type: ignore[attr-defined]
        services.ledger.execute(command, session.key.actor)
        return subject

    try:
        subject_id = await blocking(record)
    except LedgerError as error:
        return await _show(request, session, spec, refused(spec, outcome, error))
    return RedirectResponse(f"/ui/subjects/{subject_id}", status_code=303)
