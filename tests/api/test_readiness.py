"""``/ready``: the database answers and the views keep up, or a 503 problem saying how far
behind they are, in events and in the age of the oldest event they do not reflect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.settings import Settings
from tests.api.payloads import subject
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue


def external(database_url: str, clock: FakeClock, **limits: object) -> Services:
    """Services whose views a worker keeps, and no worker runs: the test projects by hand."""
    settings = Settings(database_url=database_url, projections="external", **limits)  # type: ignore[arg-type]
    return bootstrap(settings, clock=clock)


@pytest.fixture
def by_events(database_url: str, clock: FakeClock) -> Iterator[tuple[TestClient, Services]]:
    services = external(database_url, clock, ready_max_lag_events=0)
    try:
        token = issue(services, "admin", "ready test")
        with TestClient(create_app(services=services), headers=bearer(token)) as client:
            yield client, services
    finally:
        services.close()


def test_ready_fails_past_the_lag_in_events_and_recovers(
    by_events: tuple[TestClient, Services],
) -> None:
    client, services = by_events
    assert client.get("/ready").json()["views_lag"] == 0
    assert client.post("/v1/subjects", json=subject()).status_code == 201
    lagging = client.get("/ready")
    assert lagging.status_code == 503
    assert lagging.headers["content-type"] == "application/problem+json"
    problem = lagging.json()
    assert problem["type"].endswith("/views-lagging")
    assert problem["views_lag"] == problem["position"] - problem["views_position"] > 0
    assert "events behind" in problem["detail"]
    services.projector.catch_up()
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["views_lag"] == 0
    assert ready.json()["views_lag_seconds"] == 0


@pytest.mark.parametrize("store_kind", ["sqlite"], indirect=True)
def test_ready_fails_when_the_oldest_unprojected_event_is_too_old(
    database_url: str, clock: FakeClock
) -> None:
    services = external(database_url, clock, ready_max_lag_seconds=60)
    try:
        token = issue(services, "admin", "ready test")
        with TestClient(create_app(services=services), headers=bearer(token)) as client:
            assert client.post("/v1/subjects", json=subject()).status_code == 201
            clock.advance(seconds=30)
            young = client.get("/ready")
            assert young.status_code == 200
            assert young.json()["views_lag"] > 0
            assert young.json()["views_lag_seconds"] == 30
            clock.advance(seconds=31)
            old = client.get("/ready")
            assert old.status_code == 503
            assert old.json()["views_lag_seconds"] == 61
            assert "61.0 s ago" in old.json()["detail"]
    finally:
        services.close()
