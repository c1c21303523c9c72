"""The HTTP application factory.

``create_app`` builds everything in its lifespan, never at import time, so that tests and the
CLI can create as many independent apps as they like and each closes its own connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI

from api.errors import install_error_handlers
from api.openapi import serve_docs_offline
from api.routers import audit, health, keys, lists, measures, subjects, writes
from api.safeguards import install_safeguards
from api.schemas.common import Problem
from application.bootstrap import Services, bootstrap
from application.settings import Settings

DESCRIPTION = """An append-only ledger of sanctions: designations, visa bans and investment
restrictions as governments impose and rescind them. Every answer about the past keeps two
times apart: `as_of` (when a measure is legally in force) and `known_at` (when the ledger
learned of it)."""
PACKAGE = "sanctions-ledger"


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """An app on the given services, or on services built from the settings at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        running = services or bootstrap(settings)
        app.state.services = running
        if owned:
            running.start()
        try:
            yield
        finally:
            if owned:
                running.close()

    app = FastAPI(
        title="Sanctions ledger",
        # The version the package is installed as, so the document never drifts from it.
        version=version(PACKAGE),
        description=DESCRIPTION,
        lifespan=lifespan,
        # Our own pages replace FastAPI's, whose assets come from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    serve_docs_offline(app)
    install_error_handlers(app)
    install_safeguards(app, settings or (services.settings if services else None))
    routers = (health, lists, subjects, measures, writes, audit, keys)
    for router in (module.router for module in routers):
        app.include_router(router)
    _declare_problem_schema(app)
    return app


def _declare_problem_schema(app: FastAPI) -> None:
    """Put the problem document's schema in the OpenAPI components the responses point to."""
    generate = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = Problem.model_json_schema()
        return app.openapi_schema or schema

    app.openapi = openapi  # type: ignore[method-assign]
