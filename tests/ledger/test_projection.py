"""The views on every store: rebuilt from scratch they end equal, and the check finds any
row that differs from a replay of the log."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from application.bootstrap import Services
from application.collector import NEVER
from application.commands import AmendMeasure, AmendProfile, Citation, RescindMeasure, VoidEvent
from application.demo.founding_example import demo_subject_id, load_founding_example
from application.views.check import check_views, dump
from application.views.projector import Projector
from domain.values import Actor, Authority, Name, Profile, Source
from tests.support.clock import FakeClock

ACTOR = Actor("k1", "operator")
CITED = Citation(source=Source(Authority.US_OFAC, "test"))
SOIN = demo_subject_id("ofac-34021")


def a_busy_history(services: Services, clock: FakeClock) -> None:
    """The founding example, then rescissions, amendments, renames and a voiding."""
    ledger = services.ledger
    load_founding_example(ledger, ACTOR)
    clock.advance(days=3)
    ledger.execute(
        RescindMeasure(f"{SOIN}.1", datetime(2022, 1, 5, tzinfo=UTC), citation=CITED), ACTOR
    )
    justo = demo_subject_id("ofac-34020")
    ledger.execute(
        AmendMeasure(
            f"{justo}.1",
            datetime(2021, 12, 16, tzinfo=UTC),
            programs=("DPRK3", "GLOMAG"),
            citation=CITED,
        ),
        ACTOR,
    )
    clock.advance(days=1)
    ledger.execute(
        AmendProfile(
            justo,
            Profile((Name("EUROPEAN INSTITUTE YUSTO"),)),
            effective_at=datetime(2022, 2, 1, tzinfo=UTC),
            citation=CITED,
        ),
        ACTOR,
    )
    receipt = ledger.execute(
        RescindMeasure(f"{justo}.1", datetime(2022, 3, 1, tzinfo=UTC), citation=CITED), ACTOR
    )
    ledger.execute(
        VoidEvent(receipt.events[0].event_id, citation=Citation(reason="wrong date")), ACTOR
    )


def test_the_views_follow_the_log_and_a_rebuild_ends_equal(
    services: Services, clock: FakeClock
) -> None:
    a_busy_history(services, clock)
    services.projector.catch_up()
    position, before = dump(services.views)
    assert position == services.ledger.last_position()
    assert len(before["measure_segments"]) > 29
    services.projector.rebuild()
    assert dump(services.views) == (position, before)


def test_the_check_passes_on_true_views_and_names_a_tampered_row(
    services: Services, clock: FakeClock
) -> None:
    a_busy_history(services, clock)
    services.projector.catch_up()
    report = check_views(services.ledger, services.views)
    assert report.ok, report.differences
    assert report.position == services.ledger.last_position()

    with services.views.transaction(commit=True) as cursor:
        cursor.execute(
            "UPDATE measure_segments SET programs = '|FORGED|' WHERE measure_id = ?", (f"{SOIN}.1",)
        )
    report = check_views(services.ledger, services.views)
    assert not report.ok
    assert list(report.differences) == ["measure_segments"]
    assert any("|FORGED|" in row for row in report.differences["measure_segments"].only_in_views)


def test_two_projectors_racing_apply_every_event_once(services: Services, clock: FakeClock) -> None:
    a_busy_history(services, clock)
    projectors = [Projector(services.ledger, services.views, batch_size=size) for size in (5, 7, 3)]
    with ThreadPoolExecutor(max_workers=len(projectors)) as pool:
        list(pool.map(lambda projector: projector.catch_up(), projectors))
    services.projector.catch_up()
    assert services.views.position() == services.ledger.last_position()
    assert check_views(services.ledger, services.views).ok


def test_projecting_in_small_batches_equals_projecting_at_once(
    services: Services, clock: FakeClock
) -> None:
    a_busy_history(services, clock)
    services.projector.batch_size = 3
    services.projector.catch_up()
    assert check_views(services.ledger, services.views).ok


def test_the_collector_makes_no_full_pass_while_the_views_catch_up_long_or_rebuild(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    a_busy_history(services, clock)
    apply, during = services.projector._apply, []

    def watched(notifications: Any, last: int) -> bool:
        during.append(gc.get_threshold()[2])
        return apply(notifications, last)

    monkeypatch.setattr(services.projector, "_apply", watched)
    before = gc.get_threshold()
    services.projector.batch_size = 3
    services.projector.catch_up()
    # The first batch is projected as a server's projector projects every batch; from the
    # second on, the catch-up is a long one.
    assert len(during) > 3 and during[0] == before[2] and set(during[1:]) == {NEVER}
    assert gc.get_threshold() == before
    during.clear()
    services.projector.rebuild()
    assert during and set(during) == {NEVER}
    assert gc.get_threshold() == before
