"""Signing in with an API key, and out again.

The sign-in form carries a pre-session token (``api.ui.sign_in_guard``), so that no other
site can sign a visitor in under a key of its choosing. Signing in closes the session the
browser already had, in the same transaction that opens the new one: a browser holds one
session at a time, and nothing it held before (nor anything planted in it) outlives a sign-in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.auth import REALM
from api.blocking import blocking
from api.ui.policy import COOKIE, SIGN_IN, UI, SessionDep, sessions_of
from api.ui.rendering import render
from api.ui.sessions import LIFETIME
from api.ui.sign_in_guard import (
    SIGN_IN_GUARD,
    forget_pre_session,
    keep_pre_session,
    new_pre_session,
    pre_session_of,
    sign_in_token,
)
from application.keys import KeyRefused

router = APIRouter(include_in_schema=False)
HOME = "/ui/search"


def _safe_next(target: object) -> str:
    """Where to go once signed in: a page of these pages only, never another site."""
    if isinstance(target, str) and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return HOME


def sign_in_form(request: Request, target: str, error: str | None, status: int) -> Response:
    """The sign-in page, with the token of the browser's pre-session (a new one if it has
    none), whose cookie is sent again so that its lifetime runs from this showing."""
    pre_session = pre_session_of(request) or new_pre_session()
    context = {"next": target, "error": error, "sign_in_token": sign_in_token(pre_session)}
    response = render(request, "sign_in.html", context, status=status)
    keep_pre_session(response, request, pre_session)
    return response


async def sign_in_refused(request: Request, error: Exception) -> Response:  # noqa: ARG001
    """A sign-in POST without this browser's token: posted from another site, or from a
    page shown too long ago. The page again, with a token that works, and no session."""
    form = await request.form()
    detail = "this sign-in form has expired or was not sent from this site; sign in again"
    return sign_in_form(request, _safe_next(form.get("next")), detail, 403)


@router.get("/ui", dependencies=[UI])
async def home() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get(SIGN_IN, dependencies=[SIGN_IN_GUARD])
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    return sign_in_form(request, _safe_next(next), None, 200)


@router.post(SIGN_IN, dependencies=[SIGN_IN_GUARD])
async def sign_in(request: Request) -> Response:
    form = await request.form()
    token, target = form.get("key"), _safe_next(form.get("next"))
    if not isinstance(token, str) or not token.strip():
        return sign_in_form(request, target, "give an API key (sl_...)", 422)
    try:
        session_id, _ = await blocking(
            sessions_of(request).open, token.strip(), replacing=request.cookies.get(COOKIE)
        )
    except KeyRefused as refused:
        refusal = sign_in_form(request, target, f"signing in refused: {refused.reason}", 401)
        refusal.headers["WWW-Authenticate"] = REALM
        return refusal
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=int(LIFETIME.total_seconds()),
        path="/ui",
        httponly=True,
        samesite="strict",
        # Behind a proxy, uvicorn takes the scheme from X-Forwarded-Proto when it trusts it.
        secure=request.url.scheme == "https",
    )
    forget_pre_session(response, request)
    return response


@router.post("/ui/sign-out", dependencies=[UI])
async def sign_out(request: Request, session: SessionDep) -> Response:  # noqa: ARG001
    session_id = request.cookies.get(COOKIE)
    if session_id:
        await blocking(sessions_of(request).close, session_id)
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(
        COOKIE, path="/ui", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response
