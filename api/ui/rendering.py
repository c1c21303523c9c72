"""Rendering the pages: one Jinja2 environment (autoescape on, so every name, reference and
reason is text, never markup), the headers every page carries, and the read point each page
answers for.

Every page's URL carries its read point: a page asked for without ``as_of`` or ``known_at``
is redirected to the same page with both filled in (``as_of`` the moment asked, ``known_at``
the log position read), so that a link sent to a colleague shows exactly what its sender saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.blocking import blocking
from api.schemas.common import parse_moment
from api.ui.policy import CSRF_FIELD, UI_OPERATE_POLICY
from api.ui.sessions import Session
from application.documents import iso
from application.read_points import ReadPoint
from application.reading import Reader
from domain.errors import InvalidValue, LedgerError

ENVIRONMENT = Environment(
    loader=PackageLoader("api.ui", "templates"),
    autoescape=select_autoescape(["html", "svg"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
SECURITY_HEADERS = {
    # Scripts, styles and images from this app only; no inline script, no framing.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    session: Session | None = None,
    status: int = 200,
) -> HTMLResponse:
    page = ENVIRONMENT.get_template(template).render(
        request=request,
        session=session,
        csrf_field=CSRF_FIELD,
        operator=session is not None and can_operate(session),
        **context,
    )
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def can_operate(session: Session) -> bool:
    return session.key.role in UI_OPERATE_POLICY.roles


def moment(text: str | None, what: str) -> datetime | None:
    """An ``as_of`` from a query string or a date picker: an ISO date or timestamp."""
    if not text:
        return None
    try:
        parsed = parse_moment(text)
    except ValueError as error:
        raise InvalidValue(f"{what}: {error}") from None
    assert isinstance(parsed, datetime)
    return parsed


async def pin(
    request: Request, reader: Reader, needs: tuple[str, ...] = ("as_of", "known_at")
) -> RedirectResponse | None:
    """A redirect to this page with its read point in the URL, if it is not all there yet:
    ``as_of`` the moment asked (or now), ``known_at`` the log position read. A point that
    cannot be resolved is left to the page, which shows why."""
    query = request.query_params
    if all(query.get(name) for name in needs):
        return None
    try:
        as_of = moment(query.get("as_of"), "as_of") if "as_of" in needs else None
        point = await blocking(reader.point, as_of, query.get("known_at") or None)
    except LedgerError:
        return None
    params = {key: value for key, value in query.items() if value}
    params.update({k: v for k, v in point_params(point).items() if k in needs})
    return RedirectResponse(f"{request.url.path}?{urlencode(params)}", status_code=303)


def point_params(point: ReadPoint) -> dict[str, str]:
    return {"as_of": iso(point.as_of), "known_at": f"position:{point.position}"}


def link(path: str, **params: str | None) -> str:
    """A URL of a page, with the parameters that have a value."""
    kept = {key: value for key, value in params.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path


def error_page(
    request: Request, session: Session | None, status: int, title: str, detail: str
) -> Response:
    return render(request, "error.html", {"title": title, "detail": detail}, session, status=status)


def safe_url(url: object) -> str | None:
    """A source's address as a link only if it is a web address: a recorded
    ``javascript:`` URL must never become a link someone can click."""
    if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
        return url
    return None


ENVIRONMENT.globals["link"] = link
ENVIRONMENT.filters["iso"] = iso
ENVIRONMENT.filters["safe_url"] = safe_url
