"""Every error as an RFC 9457 problem document, mapped once for the whole API.

Domain and application errors carry no HTTP knowledge; this table gives each family its
status. Anything unexpected becomes a 500 whose body says nothing about the internals.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from application.errors import PreconditionFailed, WriteConflict
from application.idempotency import ClaimLost, IdempotencyKeyInUse, IdempotencyKeyReused
from application.reading import ViewsBehind
from domain.errors import (
    InvalidValue,
    LedgerError,
    MeasureOverlap,
    NotFound,
    ReferenceTaken,
    RuleViolation,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://sanctions-ledger.example/problems/"
log = structlog.get_logger("api.errors")

STATUS_BY_ERROR: list[tuple[type[LedgerError], int, str]] = [
    (ViewsBehind, 503, "views-behind"),
    (NotFound, 404, "not-found"),
    (IdempotencyKeyInUse, 409, "idempotency-key-in-use"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused"),
    (ClaimLost, 409, "idempotency-key-taken-over"),
    (PreconditionFailed, 412, "precondition-failed"),
    (WriteConflict, 409, "write-conflict"),
    (RuleViolation, 409, "rule-violation"),
    (InvalidValue, 422, "invalid-value"),
]


def problem(
    status: int, title: str, detail: str | None, problem_type: str = "about:blank", **extra: Any
) -> JSONResponse:
    body = {"type": problem_type, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _status_of(error: LedgerError) -> tuple[int, str]:
    for error_type, status, slug in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status, slug
    return 400, "ledger-error"


def _extensions(error: LedgerError) -> dict[str, Any]:
    if isinstance(error, MeasureOverlap):
        return {"existing_measure_id": error.existing_measure_id}
    if isinstance(error, ReferenceTaken):
        return {"subject_id": error.subject_id}
    return {}


async def ledger_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    status, slug = _status_of(error)
    log.info("request refused", path=request.url.path, status=status, error=type(error).__name__)
    title = type(error).__name__.replace("_", " ")
    response = problem(
        status,
        title,
        error.detail,
        PROBLEM_BASE + slug,
        instance=request.url.path,
        **_extensions(error),
    )
    if isinstance(error, ViewsBehind):
        response.headers["Retry-After"] = "1"
    return response


async def validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"location": list(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    first = errors[0] if errors else {"location": [], "message": "invalid request"}
    where = ".".join(str(part) for part in first["location"])
    return problem(
        422,
        "Invalid request",
        f"{where}: {first['message']}"
        + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        PROBLEM_BASE + "invalid-request",
        instance=request.url.path,
        errors=errors,
    )


async def http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    response = problem(
        error.status_code, _reason(error.status_code), str(error.detail), instance=request.url.path
    )
    for name, value in (error.headers or {}).items():
        response.headers[name] = value
    return response


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error", path=request.url.path, exc_info=error)
    return problem(500, "Internal Server Error", "the ledger failed to answer this request")


def _reason(status: int) -> str:

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for status, description in {
        404: "Not found",
        409: "A rule of the ledger forbids it, or another write got there first",
        412: "The subject changed since the version given in If-Match",
        422: "The request is malformed",
    }.items()
}
