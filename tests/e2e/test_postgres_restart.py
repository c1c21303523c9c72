"""A restart and a crash of PostgreSQL under load: while the database is away the API answers
``503`` with ``Retry-After`` (never ``500``), it loses no acknowledged write and records none
twice, and it answers again by itself once the database is back.

The test runs a PostgreSQL server of its own, since it restarts and crashes it, and the real
``ledger serve`` on it. Writers register subjects, each with its own Idempotency-Key, sent
again until answered for good, as a client should; readers read meanwhile.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import OperationalError

from application.ledger import Ledger
from application.storage import persistence_env
from application.stores.postgres import PostgresHookedRecorder
from tests.api.payloads import subject
from tests.support.private_postgres import PrivateServer, private_server
from tests.support.server import ledger_command, serving
from tests.support.stores import PostgresDatabase

WRITERS = 3
READERS = 2
MARK = "RESTART-"
"""Starts the reference of every subject the writers register."""
SERVER_ENV = {
    # An attempt the outage cut off may keep its Idempotency-Key until its lease ends: a
    # short lease lets the writers' retries in within the test.
    "LEDGER_IDEMPOTENCY_LEASE_SECONDS": "2",
    # The server's output goes to a pipe nobody reads while it runs: keep it short.
    "LEDGER_LOG_LEVEL": "error",
}


@dataclass
class Answers:
    """What the API answered during the test."""

    statuses: list[int] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    """Answers an outage must never produce."""
    stored: dict[str, str] = field(default_factory=dict)
    """Each write answered 201: its reference, and the subject it registered."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        body: object = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response | None:
        """The response to the request, noted; ``None`` if there was none."""
        what = f"{method} {path}"
        try:
            response = client.request(method, path, json=body, headers=headers)
        except httpx.TransportError as error:
            self._fault(f"{what}: no answer ({error!r})")
            return None
        self._check(what, response)
        return response

    def _check(self, what: str, response: httpx.Response) -> None:
        status = response.status_code
        with self.lock:
            self.statuses.append(status)
        if status == 503:
            if "retry-after" not in response.headers:
                self._fault(f"{what}: 503 without Retry-After")
            if response.headers.get("content-type") != "application/problem+json":
                self._fault(f"{what}: 503 that is not a problem document")
        elif not (200 <= status < 300 or 400 <= status < 500):
            self._fault(f"{what}: {status} {response.text[:300]}")

    def _fault(self, message: str) -> None:
        with self.lock:
            self.faults.append(message)


def keep_writing(client: httpx.Client, answers: Answers, stop: threading.Event) -> None:
    while not stop.is_set():
        reference = f"{MARK}{uuid.uuid4().hex[:12]}"
        body = subject(name=f"TEST, Writer {reference}", reference=reference)
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        for _attempt in range(50):
            response = answers.send(client, "POST", "/v1/subjects", body, headers)
            if response is None or not worth_retrying(response):
                break
            time.sleep(0.2)
        if response is not None and response.status_code == 201:
            with answers.lock:
                answers.stored[reference] = response.json()["subject_ids"][0]


def keep_reading(client: httpx.Client, answers: Answers, stop: threading.Event) -> None:
    while not stop.is_set():
        answers.send(client, "GET", "/v1/measures")
        with answers.lock:
            latest = list(answers.stored.values())[-1:]
        for subject_id in latest:
            answers.send(client, "GET", f"/v1/subjects/{subject_id}")
        answers.send(client, "GET", "/health")


def worth_retrying(response: httpx.Response) -> bool:
    """A client's rule: send the same request again when the database was away, or when an
    earlier attempt the outage cut off still holds the key."""
    if response.status_code == 503:
        return True
    problem_type = str(response.json().get("type", "")) if response.status_code == 409 else ""
    return problem_type.endswith("/idempotency-key-in-use")


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    with private_server() as running:
        yield running


def admin_token(database_url: str) -> str:
    created = ledger_command(
        "keys", "create", "--role", "admin", "--name", "t", "--database", database_url
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip().splitlines()[-1]


@contextmanager
def in_threads(work: list[Callable[[threading.Event], None]]) -> Iterator[None]:
    """Run the work in threads until the block ends."""
    stop = threading.Event()
    threads = [threading.Thread(target=w, args=(stop,), daemon=True) for w in work]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def statuses_once_recovered(client: httpx.Client, paths: list[str], within: float) -> list[int]:
    """The paths' statuses once every one answers 200, or as they last answered."""
    deadline = time.monotonic() + within
    while True:
        statuses = [client.get(path).status_code for path in paths]
        if set(statuses) == {200} or time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def registrations(client: httpx.Client) -> dict[str, int]:
    """How many times the event log records the registration of each writer's subject."""
    counts: dict[str, int] = {}
    after: int | None = 0
    while after is not None:
        page = client.get("/v1/events", params={"after": after, "limit": 500}).json()
        for event in page["items"]:
            if event["aggregate"] == "subject" and event["version"] == 1:
                for reference in _marked(json.dumps(event["data"])):
                    counts[reference] = counts.get(reference, 0) + 1
        after = page["next_after"]
    return counts


def _marked(text: str) -> set[str]:
    words = (word.strip('",') for word in text.split())
    return {word for word in words if word.startswith(MARK)}


@pytest.mark.slow
@pytest.mark.postgres
def test_a_postgres_restart_and_crash_answer_503_and_lose_no_write(
    server: PrivateServer,
) -> None:
    started = time.monotonic()
    url = server.create_database("ledger")
    token = admin_token(url)
    answers = Answers()
    with serving(url, SERVER_ENV) as base:
        clients = [
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            for _ in range(WRITERS + READERS)
        ]
        work: list[Callable[[threading.Event], None]] = [
            *(lambda stop, c=c: keep_writing(c, answers, stop) for c in clients[:WRITERS]),
            *(lambda stop, c=c: keep_reading(c, answers, stop) for c in clients[WRITERS:]),
        ]
        with in_threads(work):
            time.sleep(2)
            server.restart("fast")
            time.sleep(2)
            server.restart("immediate")  # a crash: recovery from the WAL on the way back
            time.sleep(2)

        recovered = statuses_once_recovered(clients[0], ["/health", "/v1/measures"], within=15)
        recorded = registrations(clients[0])
        for client in clients:
            client.close()

    seen = sorted(set(answers.statuses))
    assert not answers.faults, f"statuses {seen}; faults: {answers.faults[:10]}"
    assert recovered == [200, 200], "the API did not recover by itself"
    assert answers.stored, f"no write was acknowledged: statuses {seen}"
    acknowledged = {reference: recorded.get(reference, 0) for reference in answers.stored}
    assert acknowledged == dict.fromkeys(answers.stored, 1), "an acknowledged write is not once"
    assert set(recorded.values()) == {1}, "a write was recorded twice"
    assert time.monotonic() - started < 60


class Thing(Aggregate):
    """Any aggregate: what is saved does not matter here, only how often."""


@pytest.fixture
def ledger_on_postgres(postgres: PostgresDatabase) -> Iterator[Ledger]:
    ledger = Ledger(env=persistence_env(postgres.new_schema()))
    try:
        yield ledger
    finally:
        ledger.close()


@pytest.mark.postgres
def test_a_save_cut_off_before_its_commit_is_tried_again(ledger_on_postgres: Ledger) -> None:
    attempts: list[object] = []

    def connection_lost_once(_cursor: object) -> None:
        attempts.append(_cursor)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")

    thing = Thing()
    ledger_on_postgres.save(thing, within_transaction=connection_lost_once)
    assert len(attempts) == 2
    assert ledger_on_postgres.repository.get(thing.id).version == 1


@pytest.mark.postgres
def test_a_save_cut_off_while_it_commits_is_not_tried_again(
    ledger_on_postgres: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its outcome is unknown (here: stored); a second attempt would meet its own events as
    another writer's. The error goes up, for the client to retry with its Idempotency-Key."""
    attempts: list[object] = []
    fetch_ids = PostgresHookedRecorder._fetch_ids_after_insert_events

    def lost_at_commit(self: PostgresHookedRecorder, *args: object, **kwargs: object) -> object:
        attempts.append(args)
        fetch_ids(self, *args, **kwargs)  # type: ignore[arg-type]
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(PostgresHookedRecorder, "_fetch_ids_after_insert_events", lost_at_commit)
    thing = Thing()
    with pytest.raises(OperationalError):
        ledger_on_postgres.save(thing)
    assert len(attempts) == 1
