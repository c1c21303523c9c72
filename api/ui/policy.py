"""Who may use which page: the session's key and its role, as the API's policies say.

The pages declare their policies like every route of the app (``api.auth``): a
``SessionPolicy`` is a ``Policy`` (so the route table and its test see it), but it reads the
session cookie instead of an ``Authorization`` header, which it ignores.

``UI`` admits any signed-in key; ``UI_OPERATE`` admits the roles that may write (the same as
the API's ``WRITE``). Without a session, a page (GET) redirects to the sign-in page and
anything else is ``403``. Every request that is not a GET must carry the session's CSRF token
in its form (``csrf_token``), or it is ``403`` before the route runs and nothing is recorded.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from api.auth import WRITE_POLICY, Policy, Principal
from api.blocking import blocking
from api.limits import rate_limiter
from api.ui.sessions import Session, Sessions, csrf_matches
from application.bootstrap import Services
from application.keys import Role

COOKIE = "ledger_session"
CSRF_FIELD = "csrf_token"
SIGN_IN = "/ui/sign-in"


class SignInRequired(Exception):
    """A page asked for without a session: answered with a redirect to the sign-in page."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.back_to = back_to


def sessions_of(request: Request) -> Sessions:
    """The app's sessions, made on first use (their table with them)."""
    found = getattr(request.app.state, "ui_sessions", None)
    if found is None:
        services: Services = request.app.state.services
        found = Sessions(services.tables, services.keys, services.ledger.clock)
        request.app.state.ui_sessions = found
    assert isinstance(found, Sessions)
    return found


class SessionPolicy(Policy):
    """A signed-in session whose key has one of ``roles``."""

    async def __call__(self, request: Request) -> Principal:
        session_id = request.cookies.get(COOKIE)
        session = None
        if session_id:
            session = await blocking(sessions_of(request).find, session_id)
        if session is None:
            if request.method in ("GET", "HEAD"):
                raise SignInRequired(_here(request))
            raise HTTPException(403, "sign in first: this form needs a signed-in session")
        principal = Principal(session.key)
        request.state.principal = principal
        request.state.ui_session = session
        services: Services = request.app.state.services
        # The key's rate is the same whether it calls the API or browses the pages.
        rate_limiter(request.app, services.settings).take(session.key.id)
        if request.method not in ("GET", "HEAD"):
            form = await request.form()
            presented = form.get(CSRF_FIELD)
            if not csrf_matches(session, presented if isinstance(presented, str) else None):
                raise HTTPException(403, "the form's CSRF token is missing or wrong")
        if session.key.role not in self.roles:
            raise HTTPException(
                403,
                f"a key with the role {session.key.role.value!r} may not use this page; "
                f"it needs one of: {', '.join(sorted(self.roles))}",
            )
        return principal


def _here(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return f"{SIGN_IN}?next={quote(target, safe='')}"


async def current_session(request: Request) -> Session:
    """The session the route's policy admitted."""
    session = getattr(request.state, "ui_session", None)
    if not isinstance(session, Session):
        raise HTTPException(403, "this page declares no session policy")
    return session


SessionDep = Annotated[Session, Depends(current_session)]

UI_POLICY = SessionPolicy("ui", tuple(Role))
UI_OPERATE_POLICY = SessionPolicy("ui-operate", WRITE_POLICY.roles)
UI = Depends(UI_POLICY)
UI_OPERATE = Depends(UI_OPERATE_POLICY)
