"""The HTTP application factory.

``create_app`` builds everything in its lifespan, never at import time, so that tests and the
CLI can create as many independent apps as they like and each closes its own connections.
``serve_app`` is the factory ``ledger serve`` names to uvicorn: each server process builds its
own app from the environment.

Outermost, around even Starlette's own error handler, sits one layer for the request's id, its
metrics and its log lines (``api.access_log.RequestLog``): an unexpected ``500`` is counted,
logged and carries its id. Inside it, the busiest read (a subject as it stands now) is
answered without the framework's routing where nothing about it needs more
(``api.subject_lane``); every other request goes on to the app.
While the app runs, a task keeps the API keys' cache confirmed (``api.auth.refresh_keys``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.types import ASGIApp

from api.access_log import RequestLog
from api.auth import refresh_keys
from api.errors import install_error_handlers
from api.logging import configure_logging
from api.measures_lane import MeasuresLane
from api.metrics import install_metrics
from api.openapi import serve_docs_offline
from api.routers import (
    audit,
    exports,
    health,
    keys,
    link_suggestions,
    links,
    lists,
    match,
    measures,
    proofs,
    screening,
    stream,
    subjects,
    subscriptions,
    writes,
)
from api.routing import serve_as_declared
from api.safeguards import install_safeguards
from api.schemas.common import Problem
from api.subject_lane import SubjectLane
from api.subjects_lane import SubjectsLane
from api.ui import install_ui
from api.write_lane import WriteLane
from application.bootstrap import Services, bootstrap
from application.collector import kept_out_of_full_passes
from application.settings import Settings

DESCRIPTION = """An append-only ledger of sanctions: designations, visa bans and investment
restrictions as governments impose and rescind them. Every answer about the past keeps two
times apart: `as_of` (when a measure is legally in force) and `known_at` (when the ledger
learned of it)."""
PACKAGE = "sanctions-ledger"
WITHOUT_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}
"""FastAPI's own OpenTelemetry reporting, off unless asked for (``Settings.opentelemetry``):
the ledger has its metrics and logs, and each request would otherwise ask for providers."""


ROUTERS = tuple(
    module.router
    for module in (
        health,
        lists,
        subjects,
        measures,
        writes,
        audit,
        stream,
        proofs,
        screening,
        match,
        links,
        link_suggestions,
        exports,
        subscriptions,
        keys,
    )
)
"""The API's routers, in the order the app tries them."""


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """An app on the given services, or on services built from the settings at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        running = services or bootstrap(settings)
        app.state.services = running
        if owned:
            running.start()
        running.ledger.listeners.append(metrics.recorded)
        refresher = asyncio.create_task(refresh_keys(running.keys))
        try:
            with kept_out_of_full_passes() if owned else contextlib.nullcontext():
                yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            running.ledger.listeners.remove(metrics.recorded)
            if owned:
                running.close()

    chosen = settings or (services.settings if services else None)
    app = FastAPI(
        title="Sanctions ledger",
        # The version the package is installed as, so the document never drifts from it.
        version=version(PACKAGE),
        description=DESCRIPTION,
        lifespan=lifespan,
        # Our own pages replace FastAPI's, whose assets come from a CDN.
        docs_url=None,
        redoc_url=None,
        telemetry=None if chosen is not None and chosen.opentelemetry else WITHOUT_TELEMETRY,
    )
    serve_docs_offline(app)
    configured = chosen or Settings()
    install_error_handlers(app, configured.database_url)
    install_safeguards(app, chosen)
    metrics = install_metrics(app, configured)
    for router in ROUTERS:
        serve_as_declared(app.router, router)
    install_ui(app)
    _declare_problem_schema(app)
    _wrap_outermost(app, lambda inner: RequestLog(_lanes(inner), metrics))
    return app


def _lanes(app: ASGIApp) -> ASGIApp:
    """The busiest reads and writes, answered just inside the request log (``api.lanes``)."""
    return SubjectLane(MeasuresLane(SubjectsLane(WriteLane(app))))


def serve_app() -> FastAPI:
    """The app of one server process, configured from the environment (``LEDGER_*``)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


def _wrap_outermost(app: FastAPI, wrap: Callable[[ASGIApp], ASGIApp]) -> None:
    """Put ``wrap`` around the whole middleware stack, outside Starlette's error handler,
    which middleware added the usual way sits inside of."""
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        return wrap(build())

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


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
