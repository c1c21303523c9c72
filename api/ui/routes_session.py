"""Signing in with an API key, and out again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.auth import PUBLIC, REALM
from api.blocking import blocking
from api.ui.policy import COOKIE, SIGN_IN, UI, SessionDep, sessions_of
from api.ui.rendering import render
from api.ui.sessions import LIFETIME
from application.keys import KeyRefused

router = APIRouter(include_in_schema=False)
HOME = "/ui/search"


def _safe_next(target: object) -> str:
    """Where to go once signed in: a page of these pages only, never another site."""
    if isinstance(target, str) and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return HOME


@router.get("/ui", dependencies=[UI])
async def home() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get(SIGN_IN, dependencies=[PUBLIC])
async def sign_in_page(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"next": _safe_next(next), "error": None})


@router.post(SIGN_IN, dependencies=[PUBLIC])
async def sign_in(request: Request) -> Response:
    form = await request.form()
    token, target = form.get("key"), _safe_next(form.get("next"))
    if not isinstance(token, str) or not token.strip():
        context = {"next": target, "error": "give an API key (sl_...)"}
        return render(request, "sign_in.html", context, status=422)
    try:
        session_id, _ = await blocking(sessions_of(request).open, token.strip())
    except KeyRefused as refused:
        context = {"next": target, "error": f"signing in refused: {refused.reason}"}
        refusal = render(request, "sign_in.html", context, status=401)
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
