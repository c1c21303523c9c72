"""The live feed against a real ``ledger serve``: a client that is cut off again and again
and resumes with Last-Event-ID receives every event exactly once, in log order, while four
writers record a thousand events; and a server asked to stop ends its open streams instead
of waiting on them."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.keys import bearer
from tests.support.secrets import remember
from tests.support.server import ledger_command, serving
from tests.support.stores import PostgresDatabase

pytestmark = pytest.mark.slow
STREAM = "/v1/changes/stream"
EVENTS, WRITERS, CUTS = 1000, 4, 5
SERVER_ENV = {
    "LEDGER_STREAM_POLL_SECONDS": "0.05",
    "LEDGER_STREAM_HEARTBEAT_SECONDS": "0.5",
    # Longer than the test waits for the server to stop: a stream holding the graceful
    # shutdown open would fail it.
    "LEDGER_SHUTDOWN_GRACE_SECONDS": "60",
    # Nobody reads the server's output while it runs: a full pipe would stall it.
    "LEDGER_LOG_LEVEL": "error",
}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    postgres: PostgresDatabase = request.getfixturevalue("postgres")
    return postgres.new_schema()


@pytest.fixture
def token(database: str) -> str:
    created = ledger_command(
        "keys", "create", "--role", "admin", "--name", "stream", "--database", database
    )
    assert created.returncode == 0, created.stderr
    return remember(created.stdout.strip().splitlines()[-1])


@pytest.fixture
def base(database: str) -> Iterator[str]:
    with serving(database, env=SERVER_ENV) as url:
        yield url


class Follower:
    """A client of the stream that keeps the last id it was given, as EventSource does, and
    sends it back as Last-Event-ID when it reconnects."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.last_id: int | None = None
        self.positions: list[int] = []
        self.cuts = 0

    def follow(self, done: Callable[[], bool], lines: int | None = None) -> None:
        """One connection, read until ``done`` or, when ``lines`` is given, dropped after
        that many lines: anywhere, in the middle of an event too."""
        headers = bearer(self.token)
        if self.last_id is not None:
            headers["Last-Event-ID"] = str(self.last_id)
        with httpx.stream(
            "GET", self.base + STREAM, params={"after": 0}, headers=headers, timeout=10
        ) as response:
            assert response.status_code == 200, response.read()
            block: dict[str, str] = {}
            for count, line in enumerate(response.iter_lines()):
                if lines is not None and count == lines:
                    self.cuts += 1
                    return
                if line:
                    name, _, value = line.partition(": ")
                    block[name] = value
                    continue
                self._dispatch(block)
                block = {}
                if done():
                    return

    def _dispatch(self, block: dict[str, str]) -> None:
        """What an event stream client does at a blank line: an id moves the last id, and
        a block with data is an event."""
        if "id" in block:
            self.last_id = int(block["id"])
        if "data" in block:
            self.positions.append(int(block["id"]))


def record(base: str, token: str, count: int, writer: int) -> None:
    """``count`` subjects registered one request at a time: one event each."""
    with httpx.Client(base_url=base, headers=bearer(token), timeout=30) as client:
        for number in range(count):
            body = {
                "kind": "person",
                "profile": {"names": [{"value": f"WRITER {writer}, Person {number}"}]},
                "effective_at": "2021-12-10",
                "source": {"authority": "US-OFAC", "reference": "stream test"},
            }
            answer = client.post("/v1/subjects", json=body)
            assert answer.status_code == 201, answer.text


def logged_positions(base: str, token: str) -> list[int]:
    positions: list[int] = []
    after: int | None = 0
    while after is not None:
        page = httpx.get(
            f"{base}/v1/events", params={"after": after, "limit": 1000}, headers=bearer(token)
        ).json()
        positions += [item["position"] for item in page["items"]]
        after = page["next_after"]
    return positions


def test_a_client_cut_off_five_times_receives_every_event_once_in_order(
    base: str, token: str
) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    chance = random.Random(seed)
    writers = [
        threading.Thread(target=record, args=(base, token, EVENTS // WRITERS, n))
        for n in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    follower = Follower(base, token)
    end: list[int] = []

    def done() -> bool:
        """Once every writer is through: when the follower reached the log's end."""
        if any(writer.is_alive() for writer in writers):
            return False
        if not end:
            end.append(max(logged_positions(base, token), default=0))
        return follower.last_id == end[0]

    # Each event is four lines: five connections of at most 600 lines are all cut before
    # the thousand events end, each at a line of chance, in the middle of an event or not.
    for _ in range(CUTS):
        follower.follow(done, chance.randrange(10, 600))
    follower.follow(done)
    for writer in writers:
        writer.join()
    logged = logged_positions(base, token)
    assert len(logged) == EVENTS
    assert follower.cuts == CUTS, f"seed {seed}"
    assert follower.positions == logged, f"seed {seed}"


def test_a_server_asked_to_stop_ends_its_streams_and_stops(database: str, token: str) -> None:
    ended: list[str] = []
    connected = threading.Event()

    def follow(base: str) -> None:
        try:
            with httpx.stream("GET", base + STREAM, headers=bearer(token), timeout=30) as answer:
                for _ in answer.iter_lines():
                    connected.set()
            ended.append("the answer ended")
        except httpx.TransportError as error:
            ended.append(f"cut: {error!r}")

    with serving(database, env=SERVER_ENV) as base:
        follower = threading.Thread(target=follow, args=(base,))
        follower.start()
        assert connected.wait(10)
    # serving() sent SIGTERM and waited for the server to exit, less long than its grace.
    follower.join(10)
    assert ended == ["the answer ended"]
