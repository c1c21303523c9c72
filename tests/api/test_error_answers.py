"""How errors answer: a database that is away is 503 with Retry-After however its error
arrives, a broken statement stays a 500, and every problem's title reads as a sentence."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import ConnectionUnavailableError, OperationalError, ProgrammingError
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from psycopg_pool import PoolTimeout

from api.errors import STATUS_BY_ERROR, install_error_handlers
from application.bootstrap import Services
from application.errors import WriteConflict
from domain.errors import InvalidValue, MeasureOverlap, NotFound
from tests.api.payloads import subject

Answer = Callable[..., Any]
"""The app's answer to a GET whose route (or dependency) raises the error given."""


def wrapped(outer: Exception, inner: Exception) -> Exception:
    """``outer`` raised from ``inner``, as a library re-raises an error in its own terms."""
    try:
        raise outer from inner
    except Exception as error:
        return error


UNAVAILABLE: dict[str, Exception] = {
    "psycopg": psycopg.OperationalError("server closed the connection unexpectedly"),
    "admin shutdown": psycopg.errors.AdminShutdown("terminating connection"),
    "interface": psycopg.InterfaceError("the connection is closed"),
    "pool timeout": PoolTimeout("couldn't get a connection after 10.00 sec"),
    "library": OperationalError("terminating connection due to administrator command"),
    "library pool": ConnectionUnavailableError("timed out waiting for a connection"),
    "wrapped": wrapped(RuntimeError("lost"), psycopg.OperationalError("connection lost")),
    "sqlite locked": wrapped(
        OperationalError("locked"), sqlite3.OperationalError("database is locked")
    ),
}
BROKEN: dict[str, Exception] = {
    "sqlite no table": wrapped(OperationalError("x"), sqlite3.OperationalError("no such table: t")),
    "syntax": ProgrammingError("syntax error at or near"),
    "bug": KeyError("oops"),
}


def app_raising(error: Exception, *, in_dependency: bool = False) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    def fail() -> None:
        raise error

    if in_dependency:

        @app.get("/thing", dependencies=[Depends(fail)])
        def thing() -> None:
            return None

    else:
        app.get("/thing")(fail)
    return app


@pytest.fixture
def answer() -> Iterator[Answer]:
    clients: list[TestClient] = []

    def get(error: Exception, *, in_dependency: bool = False) -> Any:
        client = TestClient(
            app_raising(error, in_dependency=in_dependency), raise_server_exceptions=False
        )
        clients.append(client)
        return client.get("/thing")

    yield get
    for client in clients:
        client.close()


@pytest.mark.parametrize("in_dependency", [False, True])
@pytest.mark.parametrize("name", sorted(UNAVAILABLE))
def test_a_database_that_is_away_answers_503_with_retry_after(
    name: str, in_dependency: bool, answer: Answer
) -> None:
    response = answer(UNAVAILABLE[name], in_dependency=in_dependency)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://sanctions-ledger.example/problems/database-unavailable",
        "title": "The database is unavailable",
        "status": 503,
        "detail": "the database is unavailable; retry shortly",
        "instance": "/thing",
    }


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_an_error_that_is_no_outage_stays_a_500(name: str, answer: Answer) -> None:
    response = answer(BROKEN[name])
    assert response.status_code == 500
    assert "retry-after" not in response.headers


@pytest.mark.parametrize(
    ("error", "title"),
    [
        (NotFound("no subject"), "Not found"),
        (InvalidValue("bad date"), "Invalid value"),
        (MeasureOverlap("overlaps", existing_measure_id="m1"), "Rule violation"),
        (WriteConflict("kept changing"), "Write conflict"),
    ],
)
def test_a_problem_title_reads_as_a_sentence(error: Exception, title: str, answer: Answer) -> None:
    assert answer(error).json()["title"] == title


def test_every_family_of_errors_has_a_title_of_its_own() -> None:
    titles = [title for _type, _status, _slug, title in STATUS_BY_ERROR]
    assert len(set(titles)) == len(titles)
    assert all(title[0].isupper() and " " in title for title in titles)


@pytest.mark.parametrize("store_kind", ["sqlite"])
def test_a_write_cut_off_by_the_database_answers_503_even_when_its_key_cannot_be_released(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def away(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services.ledger, "execute", away)
    monkeypatch.setattr(services.idempotency, "release", away)
    response = client.post("/v1/subjects", json=subject(), headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 503
    assert response.headers["retry-after"]
