"""The views when things go wrong: writes that never stop, an event they cannot project, a
check run while they lag, text a store cannot hold that reached the log anyway."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from fastapi.testclient import TestClient

from api.main import create_app
from application import ledger as ledger_module
from application.bootstrap import Services, bootstrap
from application.commands import Citation, RegisterSubject
from application.reading import ViewsBehind, ViewsStalled
from application.settings import Settings
from application.views import check as check_module
from application.views.check import check_views
from application.views.conditions import MeasureFilter, SubjectFilter
from application.views.store import ViewStore
from domain.values import Actor, Authority, Name, Profile, Source, SubjectKind
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue

ACTOR = Actor("k1", "operator")
CITED = Citation(source=Source(Authority.US_OFAC, "test"))


def register(services: Services, name: str = "A NAME") -> int:
    receipt = services.ledger.execute(
        RegisterSubject(
            kind=SubjectKind.PERSON,
            profile=Profile((Name(name),)),
            effective_at=datetime(2022, 1, 1, tzinfo=UTC),
            citation=CITED,
        ),
        ACTOR,
    )
    assert receipt.position is not None
    return receipt.position


def inline(database_url: str, clock: FakeClock, **settings: Any) -> Services:
    return bootstrap(
        Settings(database_url=database_url, projection_batch_size=1, **settings), clock=clock
    )


@pytest.fixture
def services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    built = inline(database_url, clock, read_wait_seconds=2)
    try:
        yield built
    finally:
        built.close()


def test_a_read_never_chases_writes_recorded_after_it_began(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch the projector applies lets another write in, as a busy ledger would: a
    read at "now" still ends, at the log as it stood when the read began."""
    for _ in range(5):
        register(services)
    began = services.ledger.last_position()
    apply = services.projector._apply
    injected: list[int] = []

    def apply_while_others_write(notifications: Any, last: int) -> bool:
        if len(injected) < 50:
            injected.append(register(services))
        return apply(notifications, last)

    monkeypatch.setattr(services.projector, "_apply", apply_while_others_write)
    point = services.reader.point()
    assert point.position == began
    assert len(injected) == began  # one batch (of one event) per position the read needed


def test_a_read_waits_no_longer_than_the_configured_wait(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = inline(database_url, clock, read_wait_seconds=0.3)
    try:
        for _ in range(40):
            register(services)
        apply = services.projector._apply

        def slow(notifications: Any, last: int) -> bool:
            time.sleep(0.05)
            return apply(notifications, last)

        monkeypatch.setattr(services.projector, "_apply", slow)
        last = services.ledger.last_position()
        started = time.monotonic()
        with pytest.raises(ViewsBehind):
            services.reader.point(min_position=last)
        assert time.monotonic() - started < 1.0
        started = time.monotonic()
        point = services.reader.point()  # "now": what the views reached in the wait
        assert time.monotonic() - started < 1.0
        assert 0 < point.position < last
    finally:
        services.close()


def poison(services: Services) -> int:
    """An event no version of the projector can read, stored behind the ledger's back."""
    services.ledger.recorder.insert_events(
        [StoredEvent(uuid.uuid4(), 1, "nowhere.module:NoSuchEvent", b"{}")]
    )
    return services.ledger.last_position()


def test_an_event_the_views_cannot_project_stops_them_loudly(services: Services) -> None:
    before = register(services)
    position = poison(services)
    reader_token = issue(services, "reader")
    with TestClient(create_app(services=services), headers=bearer(reader_token)) as client:
        stalled = client.get("/v1/measures")
        assert stalled.status_code == 503
        assert stalled.headers["content-type"] == "application/problem+json"
        assert f"stopped at position {position - 1}" in stalled.json()["detail"]
        assert stalled.headers["Retry-After"]
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "NoSuchEvent" in ready.json()["detail"]
        assert client.get("/health").status_code == 200
        # What the views hold still answers, pinned before the event they cannot read.
        earlier = client.get("/v1/measures", params={"known_at": f"position:{before}"})
        assert earlier.status_code == 200
    assert services.projector.failure is not None
    assert services.projector.failure.position == position


def test_the_projection_thread_keeps_the_failure_for_readiness(services: Services) -> None:
    poison(services)
    services.start()
    deadline = time.monotonic() + 10
    while services.projector.failure is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert services.projector.failure is not None
    with pytest.raises(ViewsStalled):
        services.reader.point()


def test_check_fails_when_the_views_stopped_short_of_the_log(
    database_url: str, clock: FakeClock
) -> None:
    services = inline(database_url, clock, projections="external")
    try:
        register(services)
        services.projector.catch_up()
        for _ in range(3):
            register(services)
        report = check_views(services.ledger, services.views)
        assert not report.ok
        assert report.behind == 3
        assert not report.differences
        services.projector.catch_up()
        assert check_views(services.ledger, services.views).ok
    finally:
        services.close()


def test_check_does_not_count_events_recorded_while_it_ran(
    database_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = inline(database_url, clock, projections="external")
    try:
        register(services)
        services.projector.catch_up()
        dump = check_module.dump

        def dump_while_a_write_arrives(views: ViewStore) -> Any:
            register(services)
            return dump(views)

        monkeypatch.setattr(check_module, "dump", dump_while_a_write_arrives)
        report = check_views(services.ledger, services.views)
        assert report.ok, report
    finally:
        services.close()


def test_text_no_store_can_hold_that_reached_the_log_does_not_stop_the_views(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger refuses NUL on the way in; an event recorded before it did still projects
    (PostgreSQL cannot hold NUL in text) and the views still equal a replay."""
    monkeypatch.setattr(ledger_module, "check_storable", lambda _aggregates: None)
    register(services, "NUL\x00NAME")
    monkeypatch.undo()
    register(services, "AFTER")
    point = services.reader.point()
    everyone = services.reader.subjects(point, SubjectFilter(), None, 10).items
    assert len(everyone) == 2
    found = services.reader.subjects(point, SubjectFilter(name="nul"), None, 10).items
    assert len(found) == 1
    assert services.reader.measures(point, MeasureFilter(), None, 10).items == []
    assert check_views(services.ledger, services.views).ok
