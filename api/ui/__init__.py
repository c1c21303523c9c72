"""The web pages under ``/ui``: server-rendered, readable without JavaScript, signed in with
the ledger's own API keys.

Pages: sign in and out (``routes_session``), search (``routes_search``), a subject's page
with its bitemporal picture (``routes_subject``), the list as of a date and the difference
between two dates (``routes_lists``), and the operator's forms (``routes_forms``). They read
through the application's ``Reader`` and ``Screening`` and write through the ledger's
commands, as the API does, and hold no rules of their own.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from api.routing import serve_as_declared
from api.ui import routes_forms, routes_lists, routes_search, routes_session, routes_subject
from api.ui.policy import SignInRequired
from api.ui.sign_in_guard import SignInFormRefused

STATIC = "/ui/static"
router = APIRouter(include_in_schema=False)
for module in (routes_session, routes_search, routes_subject, routes_lists, routes_forms):
    serve_as_declared(router, module.router)


async def sign_in_first(request: Request, error: Exception) -> Response:  # noqa: ARG001
    assert isinstance(error, SignInRequired)
    return RedirectResponse(error.back_to, status_code=303)


def install_ui(app: FastAPI) -> None:
    """The pages, their style sheet and script (served from the package, never a CDN), the
    redirect of a page asked for without a session to the sign-in page, and the sign-in page
    again for a sign-in posted without its token."""
    serve_as_declared(app.router, router)
    app.mount(STATIC, StaticFiles(directory=Path(__file__).parent / "static"), name="ui-static")
    app.add_exception_handler(SignInRequired, sign_in_first)
    app.add_exception_handler(SignInFormRefused, routes_session.sign_in_refused)
