"""Pages read at the log's end as last seen (``Reader.at_last_ends``): on PostgreSQL, the
first page of a name search takes one statement, which reads the log's ends too and is
trusted only where they had not moved. A write committed since, by this
process or another, is never missed, and views behind the log are caught up first, as
when the read point is read apart."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.log_ends import EndsCheck
from application.reading import Reader
from application.settings import Settings
from tests.api import payloads
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue

SEARCH = "/v1/subjects?name=petrov"

only_postgres = pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)


def record(client: TestClient, name: str, reference: str) -> None:
    subject = client.post("/v1/subjects", json=payloads.subject(name, reference))
    assert subject.status_code == 201, subject.text
    subject_id = subject.json()["subject_ids"][0]
    designated = client.post(f"/v1/subjects/{subject_id}/designations", json=payloads.designation())
    assert designated.status_code == 201, designated.text


def found(client: TestClient, path: str) -> int:
    """How many items the page holds."""
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["items"])


@pytest.fixture
def point_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The read points read apart (``Reader.point``), by the thread that read them."""
    taken: list[str] = []
    point = Reader.point

    def counted(self: Reader, *args: Any, **kwargs: Any) -> Any:
        taken.append("point")
        return point(self, *args, **kwargs)

    monkeypatch.setattr(Reader, "point", counted)
    return taken


@contextmanager
def second_ledger(settings: Settings, clock: FakeClock) -> Iterator[tuple[Services, TestClient]]:
    """A second ledger on the same database, as another server process would be, with a
    client of its own."""
    services = bootstrap(settings, clock=clock)
    try:
        token = issue(services, "admin")
        with TestClient(create_app(services=services), headers=bearer(token)) as client:
            yield services, client
    finally:
        services.close()


@pytest.fixture
def other_process(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    with second_ledger(Settings(database_url=database_url), clock) as (_, client):
        yield client


@only_postgres
def test_a_steady_page_reads_no_point_apart(client: TestClient, point_reads: list[str]) -> None:
    record(client, "PETROV, Ivan", "R-1")
    for path in (SEARCH, "/v1/subjects?name=nobody"):
        first = client.get(path)
        point_reads.clear()
        again = client.get(path)
        assert again.content == first.content
        assert point_reads == []  # the ends came with the page, found or empty
    assert found(client, "/v1/subjects?name=nobody") == 0


@only_postgres
def test_a_write_by_another_process_is_never_missed(
    client: TestClient, other_process: TestClient, point_reads: list[str]
) -> None:
    record(client, "PETROV, Ivan", "R-1")
    assert found(client, SEARCH) == 1
    found(client, SEARCH)  # the ends as last seen are the log's end
    record(other_process, "PETROVA, Anna", "R-2")
    point_reads.clear()
    assert found(client, SEARCH) == 2
    assert point_reads == ["point"]  # the guess failed its check: read apart
    point_reads.clear()
    assert found(client, SEARCH) == 2
    assert point_reads == []


@only_postgres
def test_views_behind_the_log_are_caught_up_first(
    client: TestClient, services: Services, database_url: str, clock: FakeClock
) -> None:
    record(client, "PETROV, Ivan", "R-1")
    found(client, SEARCH)
    settings = Settings(database_url=database_url, projections="external")
    with second_ledger(settings, clock) as (writer, other):
        record(other, "PETROVA, Anna", "R-2")
        last = writer.ledger.last_position()
    assert services.views.position() < last  # nobody projected the other's write
    assert found(client, SEARCH) == 2
    assert services.views.position() == last


@pytest.mark.parametrize("store_kind", ["memory", "sqlite"], indirect=True)
def test_stores_that_count_commits_take_no_guess(client: TestClient, services: Services) -> None:
    record(client, "PETROV, Ivan", "R-1")
    found(client, SEARCH)
    assert services.reader.ends.guess() is None
    assert services.reader.at_last_ends(None, lambda point: point) is None


@pytest.mark.parametrize(
    ("seen", "unchecked", "holds"),
    [
        ([(7, 7)], False, True),
        ([(7, 9)], False, True),  # the views ahead of the log as this read saw it
        ([(7, 7), (7, 7)], False, True),
        ([], False, False),  # no statement read the ends
        ([(7, 7)], True, False),  # a statement that did not read them
        ([(8, 8)], False, False),  # written since
        ([(7, 6)], False, False),  # the views behind
        ([(7, 7), (8, 8)], False, False),  # written between two statements of the read
    ],
)
def test_a_check_holds_only_where_every_statement_saw_the_same_end(
    seen: list[tuple[int, int]], unchecked: bool, holds: bool
) -> None:
    assert EndsCheck(seen, unchecked).holds_at(7) is holds


@only_postgres
def test_a_name_the_route_refuses_gets_its_problem_document(client: TestClient) -> None:
    record(client, "PETROV, Ivan", "R-1")
    found(client, SEARCH)  # the ends as last seen are the log's end: the next read guesses
    refused = client.get("/v1/subjects?name=%21%21%21")
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "no letter or digit" in refused.json()["detail"]
    assert found(client, SEARCH) == 1  # the check was left as it was: reads go on
