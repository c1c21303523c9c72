"""The sign-in form's CSRF protection: a pre-session token.

Signing in writes a session, so the sign-in form must not be postable from another site:
otherwise a page elsewhere could sign a visitor in under its owner's key (login CSRF) and
later read what the visitor looked up or recorded. Before there is a session there is nothing
on the server to bind a token to, so the sign-in page gives the browser a random value in a
short-lived cookie of its own (``HttpOnly``, ``SameSite=Strict``, ``Secure`` over TLS, sent to
the sign-in page only) and puts a token derived from it in the form. A sign-in POST must carry
both, and they must match (compared in constant time). A page on another site cannot make
the browser send that cookie (``SameSite=Strict``) nor read it to work out the token
(``HttpOnly``); and nothing is stored on the server, so showing the sign-in page stays a read.

``SIGN_IN_POLICY`` is the sign-in page's declared policy: open to anyone (no key, no session),
but a POST without a matching token is refused (``403``) before the route runs, so no
session is made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from fastapi import Depends, Request
from starlette.responses import Response

from api.auth import PublicPolicy
from api.ui.policy import CSRF_FIELD, SIGN_IN

PRE_COOKIE = "ledger_sign_in"
PRE_LIFETIME = timedelta(minutes=30)
"""Long enough to type or paste a key; a form older than this is shown again, fresh."""
_PRE_VALUE = re.compile(r"[A-Za-z0-9_-]{43}")
"""The shape of ``secrets.token_urlsafe(32)``: anything else in the cookie is ignored."""


class SignInFormRefused(Exception):
    """A sign-in POST without the token of this browser's pre-session: answered with the
    sign-in page again (``403``), with a fresh token, and no session."""


def pre_session_of(request: Request) -> str | None:
    """The browser's pre-session value, if it sent one of the right shape."""
    value = request.cookies.get(PRE_COOKIE)
    return value if value is not None and _PRE_VALUE.fullmatch(value) else None


def new_pre_session() -> str:
    return secrets.token_urlsafe(32)


def sign_in_token(pre_session: str) -> str:
    """The form's token: derived from the cookie's value rather than the value itself, so
    that the page never shows the cookie."""
    return hmac.new(pre_session.encode(), b"ledger-ui-sign-in", hashlib.sha256).hexdigest()


def token_matches(request: Request, presented: object) -> bool:
    pre_session = pre_session_of(request)
    if pre_session is None or not isinstance(presented, str):
        return False
    return hmac.compare_digest(sign_in_token(pre_session), presented)


def keep_pre_session(response: Response, request: Request, pre_session: str) -> None:
    """(Re)send the pre-session cookie, its lifetime counted from now."""
    response.set_cookie(
        PRE_COOKIE,
        pre_session,
        max_age=int(PRE_LIFETIME.total_seconds()),
        path=SIGN_IN,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_pre_session(response: Response, request: Request) -> None:
    """Once signed in, the pre-session has done its work: one token, one sign-in."""
    response.delete_cookie(
        PRE_COOKIE,
        path=SIGN_IN,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


class SignInPolicy(PublicPolicy):
    """Open to anyone; a POST must carry the token of the browser's pre-session."""

    name = "ui-sign-in"

    def __repr__(self) -> str:
        return "Policy(ui-sign-in)"

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        if request.method in ("GET", "HEAD"):
            return
        form = await request.form()
        if not token_matches(request, form.get(CSRF_FIELD)):
            raise SignInFormRefused()


SIGN_IN_POLICY = SignInPolicy()
SIGN_IN_GUARD = Depends(SIGN_IN_POLICY)
