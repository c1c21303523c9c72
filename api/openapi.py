"""What the OpenAPI document says beyond what FastAPI derives from the routes.

Clients and contract tests read the document as a promise, so it states what the safeguards
do: which roles each operation admits (``x-roles``) and whether it needs a key at all, the
problem answers they add (401, 403, 429 on protected operations; 400 and 413 where a body is
sent), the page-size maximum in force, and that every error is an
RFC 9457 problem document, including FastAPI's own validation answers.

The document's viewers (``/docs``, ``/redoc``) load their scripts and styles from this app
(``/docs/assets``, the files the ``fastapi-offline`` package ships), never from a CDN: the
documentation works on a machine without internet access.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.routing import RouteContext
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from api.auth import BEARER, PublicPolicy, api_routes, policy_of
from api.errors import PROBLEM_JSON
from application.settings import Settings
from domain.text import ACCEPTABLE_TEXT_PATTERN

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
FIXED_STRING = frozenset({"pattern", "format", "enum", "const"})
"""A string schema with any of these already says what it accepts."""


def _problem(description: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }
    if headers:
        answer["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return answer


PROTECTED = {
    "401": _problem(
        "No API key, or one that is malformed, unknown or revoked",
        {"WWW-Authenticate": 'Bearer realm="sanctions-ledger"'},
    ),
    "403": _problem("The API key's role may not use this operation"),
    "429": _problem(
        "The API key made too many requests", {"Retry-After": "Seconds to wait before retrying"}
    ),
}
WITH_BODY = {
    "400": _problem("The request body is not JSON"),
    "413": _problem("The request body is larger than the ledger accepts"),
}


DOCS = "/docs"
REDOC = "/redoc"
DOCS_ASSETS = "/docs/assets"
ASSET_FILES = Path(fastapi_offline.__file__).parent / "static"


def serve_docs_offline(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` and ReDoc at ``/redoc``, their assets served by the app.

    The app must be made with ``docs_url=None, redoc_url=None`` so that FastAPI adds no page
    of its own pointing at a CDN. The pages are plain routes, like FastAPI's own: they run no
    policy dependency, so they stay public (``api.auth.PUBLIC_DOCUMENTS``).
    """
    app.mount(DOCS_ASSETS, StaticFiles(directory=ASSET_FILES), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        redirect = app.swagger_ui_oauth2_redirect_url
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            oauth2_redirect_url=f"{root}{redirect}" if redirect else None,
            # Swagger UI would otherwise send the document to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:  # noqa: ARG001
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route(DOCS, swagger_ui, include_in_schema=False)
    if app.swagger_ui_oauth2_redirect_url:
        app.add_route(
            app.swagger_ui_oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False
        )
    app.add_route(REDOC, redoc, include_in_schema=False)


def document_access(app: FastAPI, settings: Settings | None) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _amend(app, schema, _settings(app, settings))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _state_the_text_rule(node: Any) -> None:
    """Give every free-text string of the document the pattern the ledger enforces on all
    text (``domain.text``), so that a client, or a contract test, knows a control character
    is refused before sending one."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not FIXED_STRING.intersection(node):
            node["pattern"] = ACCEPTABLE_TEXT_PATTERN
        for value in node.values():
            _state_the_text_rule(value)
    elif isinstance(node, list):
        for value in node:
            _state_the_text_rule(value)


def _settings(app: FastAPI, given: Settings | None) -> Settings:
    services = getattr(app.state, "services", None)
    if services is not None:
        running: Settings = services.settings
        return running
    return given or Settings()


def _amend(app: FastAPI, schema: dict[str, Any], settings: Settings) -> None:
    _state_the_text_rule(schema)
    for route in api_routes(app):
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _amend_operation(route, operation, settings)


def _amend_operation(route: RouteContext, operation: dict[str, Any], settings: Settings) -> None:
    policy = policy_of(route)
    responses = operation.setdefault("responses", {})
    if policy is None:
        operation["x-roles"] = []
        return
    operation["x-policy"] = policy.name
    operation["x-roles"] = sorted(role.value for role in policy.roles)
    if isinstance(policy, PublicPolicy):
        operation.pop("security", None)
    else:
        if policy.admits(None, settings.public_reads):
            # A key is optional: anonymous callers are served too.
            operation["security"] = [{BEARER.scheme_name: []}, {}]
        _add(responses, PROTECTED)
    if "requestBody" in operation:
        _add(responses, WITH_BODY)
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        _not_nullable(parameter)
    for parameter in parameters:
        if parameter.get("in") == "query" and parameter.get("name") == "limit":
            _limit_page_size(parameter, settings.page_size_max)
    _problems_everywhere(responses)


def _not_nullable(parameter: dict[str, Any]) -> None:
    """A query, path or header parameter is text or absent, never JSON null: FastAPI's
    ``anyOf [..., null]`` for an optional one would invite clients to send 'null'."""
    schema = parameter.get("schema", {})
    branches = schema.get("anyOf")
    if not branches or {"type": "null"} not in branches or len(branches) != 2:
        return
    [kept] = [b for b in branches if b != {"type": "null"}]
    outer = {k: v for k, v in schema.items() if k != "anyOf"}
    parameter["schema"] = {**kept, **outer}


def _add(responses: dict[str, Any], extra: dict[str, Any]) -> None:
    for status, answer in extra.items():
        responses.setdefault(status, answer)


def _limit_page_size(parameter: dict[str, Any], maximum: int) -> None:
    """A page size's maximum is the setting's; a ``limit`` that is no page size (hits per
    screening) keeps its own."""
    parameter.setdefault("schema", {}).setdefault("maximum", maximum)


def _problems_everywhere(responses: dict[str, Any]) -> None:
    """Every 4xx and 5xx answer is a problem document, FastAPI's 422 included."""
    for status, answer in responses.items():
        if status[0] in "45":
            answer["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
