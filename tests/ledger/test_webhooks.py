"""The delivery worker against a receiver on 127.0.0.1: order, signatures, retries with
backoff, pausing and resuming, leases, and a crash between a delivery and its commit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from standardwebhooks import Webhook

from application.feed import FeedFilter, feed_items
from application.ledger import Ledger
from application.tables import Tables
from application.webhooks.progress import Attempt, LeaseLost, Progress, Work
from application.webhooks.settings import WebhookSettings
from application.webhooks.signing import message_id
from application.webhooks.subscriptions import PAUSED, Subscriptions
from application.webhooks.worker import Deliverer, feed_of
from domain.values import Authority
from tests.support.clock import FakeClock
from tests.support.webhooks import Received, receiving, record_designations

MEMORY_ONLY = pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
QUICK = {
    "poll_seconds": 0.01,
    "backoff_base_seconds": 0.01,
    "backoff_cap_seconds": 0.02,
    "timeout_seconds": 5,
    "lease_seconds": 30,
}


@pytest.fixture
def subscriptions(tables: Tables, clock: FakeClock) -> Subscriptions:
    return Subscriptions(tables, clock)


@contextmanager
def delivering(
    ledger: Ledger, tables: Tables, progress: Progress | None = None, **overrides: Any
) -> Iterator[Deliverer]:
    settings = WebhookSettings(**{**QUICK, **overrides})
    deliverer = Deliverer(progress or Progress(tables), feed_of(ledger), settings)
    thread = threading.Thread(target=deliverer.run, daemon=True)
    thread.start()
    try:
        yield deliverer
    finally:
        deliverer.stop()
        thread.join(20)
        assert not thread.is_alive()


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def positions(received: list[Received]) -> list[int]:
    return [json.loads(r.body)["data"]["position"] for r in received]


def test_each_subscription_gets_its_events_in_log_order_signed(
    ledger: Ledger, tables: Tables, subscriptions: Subscriptions
) -> None:
    with receiving() as receiver:
        everything = subscriptions.create("k", f"{receiver.url}/all", FeedFilter(), None, 0)
        uk = subscriptions.create("k", f"{receiver.url}/uk", FeedFilter.of(["UK"]), "UK", 0)
        record_designations(ledger, Authority.US_OFAC, 3, "o")
        last = record_designations(ledger, Authority.UK, 2, "u")
        with delivering(ledger, tables):
            wait_until(
                lambda: all(
                    subscriptions.get(s.subscription.id).cursor == last for s in (everything, uk)
                )
            )
        for created, path, chosen in ((everything, "/all", FeedFilter()), (uk, "/uk", uk_of())):
            taken = receiver.taken(path)
            expected = [item["position"] for item in feed_items(ledger, 0, 1000, chosen)[0]]
            assert positions(taken) == expected
            ident = created.subscription.id
            for request, position in zip(taken, expected, strict=True):
                assert request.headers["webhook-id"] == message_id(ident, position)
                Webhook(created.secret).verify(request.body, request.headers)
            log = subscriptions.deliveries(ident, None, 0, 1000)[0]
            assert [(d.position, d.attempt, d.status_code) for d in log] == [
                (p, 1, 200) for p in expected
            ]
        assert len(receiver.taken("/uk")) == 4 < len(receiver.taken("/all"))


def uk_of() -> FeedFilter:
    return FeedFilter.of(["UK"])


@MEMORY_ONLY
def test_a_failed_delivery_is_retried_with_the_same_id_before_anything_after_it(
    ledger: Ledger, tables: Tables, subscriptions: Subscriptions
) -> None:
    answers = iter([503, 500])
    with receiving(lambda _path, _headers, _body: next(answers, 200)) as receiver:
        created = subscriptions.create("k", receiver.url, FeedFilter(), None, 0)
        last = record_designations(ledger, Authority.US_OFAC, 2)
        ident = created.subscription.id
        with delivering(ledger, tables):
            wait_until(lambda: subscriptions.get(ident).cursor == last)
        sent = receiver.all()
        first = message_id(ident, 1)
        assert [(r.headers["webhook-id"], r.status) for r in sent[:3]] == [
            (first, 503),
            (first, 500),
            (first, 200),
        ]
        assert positions(receiver.taken()) == list(range(1, last + 1))
        log = subscriptions.deliveries(ident, None, 0, 100)[0]
        assert [(d.attempt, d.status_code) for d in log[:3]] == [(1, 503), (2, 500), (3, 200)]
        assert log[0].error == "the receiver answered 503"
        assert subscriptions.get(ident).failures == 0


@MEMORY_ONLY
def test_repeated_failures_pause_the_subscription_until_it_is_resumed(
    ledger: Ledger, tables: Tables, subscriptions: Subscriptions
) -> None:
    up = threading.Event()
    with receiving(lambda _path, _headers, _body: 200 if up.is_set() else 500) as receiver:
        created = subscriptions.create("k", receiver.url, FeedFilter(), None, 0)
        ident = created.subscription.id
        last = record_designations(ledger, Authority.UK, 1)
        with delivering(ledger, tables, max_failures=3):
            wait_until(lambda: subscriptions.get(ident).status == PAUSED)
        paused = subscriptions.get(ident)
        assert (paused.failures, paused.cursor, paused.last_error) == (
            3,
            0,
            "the receiver answered 500",
        )
        assert len(receiver.all()) == 3, "a paused subscription is not tried again"
        up.set()
        resumed = subscriptions.resume(ident)
        assert (resumed.status, resumed.failures) == ("active", 0)
        with delivering(ledger, tables, max_failures=3):
            wait_until(lambda: subscriptions.get(ident).cursor == last)
        log = subscriptions.deliveries(ident, None, 0, 100)[0]
        assert [(d.position, d.attempt, d.status_code) for d in log[:4]] == [
            (1, 1, 500),
            (1, 2, 500),
            (1, 3, 500),
            (1, 4, 200),
        ]


class CrashOnce(Progress):
    """Dies once between the receiver's 2xx and the commit of the cursor."""

    def __init__(self, tables: Tables) -> None:
        super().__init__(tables)
        self.crashed = False

    def delivered(self, work: Work, attempt: Attempt) -> Work:
        if not self.crashed:
            self.crashed = True
            raise RuntimeError("killed before the commit")
        return super().delivered(work, attempt)


@MEMORY_ONLY
def test_a_delivery_not_committed_is_delivered_again_with_the_same_id(
    ledger: Ledger, tables: Tables, subscriptions: Subscriptions
) -> None:
    with receiving() as receiver:
        created = subscriptions.create("k", receiver.url, FeedFilter(), None, 0)
        ident = created.subscription.id
        last = record_designations(ledger, Authority.UK, 1)
        with delivering(ledger, tables, CrashOnce(tables)):
            wait_until(lambda: subscriptions.get(ident).cursor == last)
        ids = [r.headers["webhook-id"] for r in receiver.taken()]
        assert ids[:2] == [message_id(ident, 1)] * 2
        assert positions(receiver.taken())[1:] == list(range(1, last + 1))
        log = subscriptions.deliveries(ident, None, 0, 100)[0]
        assert [d.position for d in log] == list(range(1, last + 1))


@MEMORY_ONLY
def test_a_slow_receiver_delays_only_its_own_subscription(
    ledger: Ledger, tables: Tables, subscriptions: Subscriptions
) -> None:
    release = threading.Event()

    def answer(path: str, _headers: dict[str, str], _body: bytes) -> int:
        if path == "/slow":
            release.wait(20)
        return 200

    with receiving(answer) as receiver:
        slow = subscriptions.create("k", f"{receiver.url}/slow", FeedFilter(), None, 0)
        fast = subscriptions.create("k", f"{receiver.url}/fast", FeedFilter(), None, 0)
        last = record_designations(ledger, Authority.UK, 3)
        with delivering(ledger, tables):
            wait_until(lambda: subscriptions.get(fast.subscription.id).cursor == last)
            assert subscriptions.get(slow.subscription.id).cursor == 0
            release.set()
            wait_until(lambda: subscriptions.get(slow.subscription.id).cursor == last)
        assert positions(receiver.taken("/slow")) == positions(receiver.taken("/fast"))


def test_only_the_lease_holder_moves_the_cursor(
    tables: Tables, subscriptions: Subscriptions
) -> None:
    progress = Progress(tables)
    ident = subscriptions.create("k", "http://127.0.0.1:9/", FeedFilter(), None, 0).subscription.id
    first = progress.acquire(ident, "A", now=100, lease=10)
    assert first is not None
    assert progress.acquire(ident, "B", now=105, lease=10) is None
    assert progress.candidates("B", now=105) == []
    second = progress.acquire(ident, "B", now=111, lease=10)
    assert second is not None
    took = Attempt(message_id(ident, 1), 1, 200, None, subscriptions.clock(), 3)
    with pytest.raises(LeaseLost):
        progress.delivered(first, took)
    assert subscriptions.get(ident).cursor == 0
    assert subscriptions.deliveries(ident, None, 0, 10)[0] == []
    moved = progress.delivered(second, took)
    assert subscriptions.get(ident).cursor == moved.subscription.cursor == 1
    with pytest.raises(LeaseLost):
        progress.delivered(second, took)  # the same step twice: its cursor moved already
    subscriptions.delete(ident)
    with pytest.raises(LeaseLost):
        progress.renew(moved, now=112, lease=10)


@MEMORY_ONLY
def test_two_workers_never_deliver_one_subscription_both(
    ledger: Ledger, tables: Tables, subscriptions: Subscriptions
) -> None:
    """A receiver that takes everything at once: any delivery made twice would be two
    workers sending the same subscription's events."""
    with receiving() as receiver:
        paths = [f"/{n}" for n in range(4)]
        for path in paths:
            subscriptions.create("k", receiver.url + path, FeedFilter(), None, 0)
        last = record_designations(ledger, Authority.UK, 5)
        with delivering(ledger, tables), delivering(ledger, tables):
            wait_until(lambda: all(s.cursor == last for s in subscriptions.all()))
        for path in paths:
            assert positions(receiver.all_to(path)) == list(range(1, last + 1))
