"""Every error as an RFC 9457 problem document, mapped once for the whole API.

Domain and application errors carry no HTTP knowledge; this table gives each family its
status. A database that is away (PostgreSQL restarting or crashed, no connection to be had
from the pool, a SQLite file locked past its timeout) is ``503`` with ``Retry-After``, however
the error reaches the API: the request was fine and succeeds once the database is back. A
write cut off that way may or may not have been stored; its client retries with the same
``Idempotency-Key`` and gets the first answer, or the write recorded once (see
``api.idempotency``). Anything unexpected becomes a 500 whose body says nothing about the
internals.

Every problem document carries the request's id as ``request_id`` (``api.request_id``), the
same as its ``X-Request-ID`` header and its log lines, so that a client's report of a refusal
leads straight to the lines about it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from eventsourcing.persistence import ConnectionPoolClosedError, PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.access_log import safe_path
from api.request_id import current_request_id, note_problem
from application.errors import PreconditionFailed, WriteConflict
from application.idempotency import ClaimLost, IdempotencyKeyInUse, IdempotencyKeyReused
from application.outages import is_unavailable
from application.reading import ViewsBehind, ViewsStalled
from application.stores import every_store, store_for
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

STATUS_BY_ERROR: list[tuple[type[LedgerError], int, str, str]] = [
    (ViewsStalled, 503, "views-stopped", "The views stopped at an event"),
    (ViewsBehind, 503, "views-behind", "The views are behind"),
    (NotFound, 404, "not-found", "Not found"),
    (IdempotencyKeyInUse, 409, "idempotency-key-in-use", "Idempotency key in use"),
    (IdempotencyKeyReused, 422, "idempotency-key-reused", "Idempotency key reused"),
    (ClaimLost, 409, "idempotency-key-taken-over", "Idempotency key taken over"),
    (PreconditionFailed, 412, "precondition-failed", "Precondition failed"),
    (WriteConflict, 409, "write-conflict", "Write conflict"),
    (RuleViolation, 409, "rule-violation", "Rule violation"),
    (InvalidValue, 422, "invalid-value", "Invalid value"),
]
"""Each family of errors: its status, the slug of its problem type, and the problem's title,
which is the same for every occurrence of the type, as RFC 9457 asks."""
OTHER_LEDGER_ERROR = (400, "ledger-error", "Refused by the ledger")

LIBRARY_ERRORS: tuple[type[Exception], ...] = (PersistenceError, ConnectionPoolClosedError)


def database_errors(database_url: str | None = None) -> tuple[type[Exception], ...]:
    """The errors a database raises: the library's, and its driver's, of the store the URL
    names (of every store where it names none: the URL's refusal is the bootstrap's to
    tell). Those that say it is unavailable are ``503``, the others (a bug in a statement, a
    broken constraint) stay unexpected. Only the PostgreSQL store's loads its driver, which
    a process on SQLite never needs."""
    try:
        stores = [store_for(database_url)] if database_url else list(every_store())
    except InvalidValue:
        stores = list(every_store())
    return LIBRARY_ERRORS + tuple(error for store in stores for error in store.driver_errors)


UNAVAILABLE_RETRY_AFTER = "2"
"""Seconds: about what a PostgreSQL restart takes, after which most requests succeed."""


def problem(
    status: int, title: str, detail: str | None, problem_type: str = "about:blank", **extra: Any
) -> JSONResponse:
    body = {"type": problem_type, "title": title, "status": status, "detail": detail, **extra}
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    note_problem(problem_slug(problem_type, title))
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def problem_slug(problem_type: str, title: str) -> str:
    """A short, bounded name of a problem: its type's slug, or for ``about:blank`` its title
    (``too-many-requests``), as metrics label refusals."""
    if problem_type.startswith(PROBLEM_BASE):
        return problem_type[len(PROBLEM_BASE) :]
    return "-".join(title.lower().split())


def _status_of(error: LedgerError) -> tuple[int, str, str]:
    for error_type, status, slug, title in STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status, slug, title
    return OTHER_LEDGER_ERROR


def _extensions(error: LedgerError) -> dict[str, Any]:
    if isinstance(error, MeasureOverlap):
        return {"existing_measure_id": error.existing_measure_id}
    if isinstance(error, ReferenceTaken):
        return {"subject_id": error.subject_id}
    return {}


async def ledger_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    status, slug, title = _status_of(error)
    log.info(
        "request refused", path=safe_path(request.scope), status=status, error=type(error).__name__
    )
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
    """Anything else: ``500``, unless it was raised from a database that is away (a library
    or a dependency may wrap the database's error in one of its own)."""
    if is_unavailable(error):
        return database_unavailable(request, error)
    return _internal_error(request, error)


def database_unavailable(request: Request, error: BaseException) -> JSONResponse:
    """``503``, for the client to retry: logged as a warning, since the ledger is fine and
    recovers by itself; the operator's alerts belong on the database."""
    log.warning(
        "database unavailable",
        path=safe_path(request.scope),
        method=request.method,
        error=f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
    )
    response = problem(
        503,
        "The database is unavailable",
        "the database is unavailable; retry shortly",
        PROBLEM_BASE + "database-unavailable",
        instance=request.url.path,
    )
    response.headers["Retry-After"] = UNAVAILABLE_RETRY_AFTER
    return response


def _internal_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error", path=safe_path(request.scope), exc_info=error)
    return problem(500, "Internal Server Error", "the ledger failed to answer this request")


def _reason(status: int) -> str:

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_error_handlers(app: FastAPI, database_url: str | None = None) -> None:
    app.add_exception_handler(LedgerError, ledger_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    # The database's own errors are registered by type as well, so that they are answered
    # inside the middleware (the idempotency claim, the access log see the 503); a handler
    # for ``Exception`` alone runs outside it.
    for error_type in database_errors(database_url):
        app.add_exception_handler(error_type, unexpected_error)
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
        503: "The database is unavailable, or the views are behind: retry after Retry-After",
    }.items()
}
