"""Webhooks delivered by the real ``ledger deliver``, SIGKILLed twice while 1,000 events are
recorded, to a receiver that fails 30% of deliveries at random and is slow on some: once the
worker caught up, every event is there at least once, in order per subscription, every
signature verifies with the Standard Webhooks library, and a repeat always carries the
webhook-id of its first delivery."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from standardwebhooks import Webhook

from application.bootstrap import Services, bootstrap
from application.feed import FeedFilter, feed_items
from application.settings import Settings
from domain.values import Authority
from tests.support.server import LEDGER
from tests.support.webhooks import Received, Receiver, receiving, record_designations

EVENTS = 1000
KILLS = (250, 600)
"""Positions of the log after which the worker is SIGKILLed (once it delivered something)."""
GATES = (450, 850)
"""Positions at which recording waits for the kill before it: both kills come mid-recording."""
WORKER_ENV = {
    "LEDGER_WEBHOOK_TIMEOUT_SECONDS": "0.5",
    "LEDGER_WEBHOOK_LEASE_SECONDS": "1.5",
    "LEDGER_WEBHOOK_BACKOFF_BASE_SECONDS": "0.02",
    "LEDGER_WEBHOOK_BACKOFF_CAP_SECONDS": "0.2",
    "LEDGER_WEBHOOK_MAX_FAILURES": "1000",
    "LEDGER_WEBHOOK_POLL_SECONDS": "0.05",
    "LEDGER_LOG_FORMAT": "json",
}


class Flaky:
    """Answers 500 to 30% of deliveries, sleeps on about one in twenty (some past the
    worker's timeout), and checks every signature as it arrives (the library refuses stale ones)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self.random = random.Random(20211210)
        self.lock = threading.Lock()
        self.unverified: list[str] = []

    def __call__(self, path: str, headers: dict[str, str], body: bytes) -> int:
        try:
            Webhook(self.secrets[path]).verify(body, headers)
        except Exception as error:
            self.unverified.append(f"{path} {headers.get('webhook-id')}: {error}")
        with self.lock:
            draw, nap = self.random.random(), self.random.random()
        if nap < 0.05:
            time.sleep(0.02 + nap * 4)  # up to 0.22 s
        elif nap < 0.06:
            time.sleep(0.7)  # past the worker's timeout: it retries what was taken
        return 500 if draw < 0.3 else 200


def start_worker(database_url: str, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [LEDGER, "deliver", "--database", database_url],
        stdout=log,
        stderr=log,
        env={**os.environ, **WORKER_ENV},
    )


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def record(services: Services, killed: list[threading.Event]) -> None:
    """About 1,000 events, OFAC and UK designations in turn, waiting at each gate for the
    kill before it."""
    authorities = (Authority.US_OFAC, Authority.UK)
    n = 0
    while services.ledger.last_position() < EVENTS:
        for gate, kill in zip(GATES, killed, strict=True):
            if services.ledger.last_position() >= gate:
                assert kill.wait(120), "the worker was not killed in time"
        record_designations(services.ledger, authorities[n % 2], 1, f"e{n}")
        n += 1
        time.sleep(0.01)


def check_subscription(received: list[Received], expected: list[int]) -> dict[str, int]:
    """Every expected position taken; none taken before every earlier one was; a repeat
    only ever with its first delivery's webhook-id and body."""
    taken: set[int] = set()
    ids: dict[int, str] = {}
    bodies: dict[int, bytes] = {}
    wanted = set(expected)
    for request in received:
        position = json.loads(request.body)["data"]["position"]
        assert position in wanted, f"position {position} does not match the filter"
        assert (
            ids.setdefault(position, request.headers["webhook-id"]) == request.headers["webhook-id"]
        )
        assert bodies.setdefault(position, request.body) == request.body
        if 200 <= request.status < 300:
            earlier = [p for p in expected if p < position]
            missing = [p for p in earlier if p not in taken]
            assert not missing, f"{position} was taken before {missing[:3]}"
            taken.add(position)
    assert taken == wanted
    assert len(set(ids.values())) == len(ids), "one webhook-id per position"
    took = [r for r in received if 200 <= r.status < 300]
    return {"attempts": len(received), "taken": len(took), "repeats": len(took) - len(taken)}


@pytest.mark.slow
@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)
def test_a_killed_worker_loses_no_delivery_and_keeps_each_subscription_in_order(
    database_url: str, tmp_path: Path
) -> None:
    services = bootstrap(Settings(database_url=database_url))
    try:
        secrets: dict[str, str] = {}
        flaky = Flaky(secrets)
        log_path = tmp_path / "deliver.log"
        with receiving(flaky) as receiver, log_path.open("wb") as log:
            subscriptions = {
                "/all": FeedFilter(),
                "/uk": FeedFilter.of(["UK"]),
            }
            created = {
                path: services.subscriptions.create("e2e", receiver.url + path, chosen, path, 0)
                for path, chosen in subscriptions.items()
            }
            secrets.update({path: c.secret for path, c in created.items()})
            killed = [threading.Event() for _ in KILLS]
            recorder = threading.Thread(target=record, args=(services, killed), daemon=True)
            worker = start_worker(database_url, log)
            started = time.monotonic()
            recorder.start()
            try:
                for kill_at, kill in zip(KILLS, killed, strict=True):
                    worker = kill_mid_work(worker, receiver, services, kill_at, database_url, log)
                    kill.set()
                recorder.join(300)
                assert not recorder.is_alive()
                recorded = time.monotonic()
                last = services.ledger.last_position()
                wait_until(
                    lambda: all(
                        services.subscriptions.get(c.subscription.id).cursor == last
                        for c in created.values()
                    ),
                    300,
                    "the worker to catch up",
                )
                caught_up = time.monotonic()
                behind = caught_up - recorded
                print(f"recorded in {recorded - started:.1f} s, caught up {behind:.1f} s later")
                worker.send_signal(signal.SIGTERM)
                assert worker.wait(30) == 0
            finally:
                if worker.poll() is None:
                    worker.kill()
            figures = {}
            for path, chosen in subscriptions.items():
                expected = [
                    item["position"] for item in feed_items(services.ledger, 0, 10**6, chosen)[0]
                ]
                figures[path] = {
                    "events": len(expected),
                    **check_subscription([r for r in receiver.all() if r.path == path], expected),
                }
            assert flaky.unverified == []
    finally:
        services.close()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("event") == "webhook delivered" for line in lines)
    events: dict[str, int] = {}
    for line in lines:
        events[line.get("event")] = events.get(line.get("event"), 0) + 1
    print(f"worker log lines: {events}")
    assert figures["/uk"]["events"] < figures["/all"]["events"]
    assert figures["/all"]["events"] >= EVENTS
    print(f"webhook deliveries: {figures}")


def kill_mid_work(
    worker: subprocess.Popen[bytes],
    receiver: Receiver,
    services: Services,
    position: int,
    database_url: str,
    log: IO[bytes],
) -> subprocess.Popen[bytes]:
    """SIGKILL the worker once the log passed ``position`` and the worker delivered since
    it started; start another, which takes over once the dead one's leases run out."""
    before = len(receiver.all())
    wait_until(
        lambda: services.ledger.last_position() >= position and len(receiver.all()) > before,
        120,
        f"position {position} and a delivery",
    )
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(10)
    return start_worker(database_url, log)
