"""The write path's safeguards, installed on an app in one call from the app factory.

Deny by default (``api.auth``), the body size limit (``api.limits``), text no store can
hold and JSON naming a key twice refused at the door (``api.request_guard``), answers
replayed for repeated Idempotency-Keys (``api.idempotency``) and an OpenAPI document that says
all of it (``api.openapi``). The logs of denied and failed requests (``api.access_log``) are
the app's outermost layer, put there by ``api.main``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.auth import DECLARED, api_routes
from api.errors import problem
from api.idempotency import install_idempotency
from api.limits import BodySizeLimit
from api.openapi import document_access
from api.request_guard import RequestGuard
from application.settings import Settings


def install_safeguards(app: FastAPI, settings: Settings | None) -> None:
    """Call before including the routers: the policy check applies to routes added after."""
    app.router.dependencies.append(DECLARED)
    app.add_exception_handler(405, method_not_allowed)
    install_idempotency(app)
    # Inside the body limit, so that it never reads more than the limit allows.
    app.add_middleware(RequestGuard)
    app.add_middleware(BodySizeLimit)
    document_access(app, settings)


async def method_not_allowed(request: Request, error: Exception) -> JSONResponse:
    """405 with an ``Allow`` header naming every method the path answers to: the router only
    knows the methods of the one route it tried."""
    assert isinstance(error, HTTPException)
    path = request.url.path
    allowed = sorted(
        {
            method
            for route in api_routes(request.app)
            if route.path_regex.match(path)
            for method in route.methods or ()
        }
    )
    response = problem(
        405,
        "Method Not Allowed",
        f"{request.method} is not one of the methods {path} answers to: {', '.join(allowed)}",
        instance=path,
    )
    response.headers["Allow"] = ", ".join(allowed)
    return response
