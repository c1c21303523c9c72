"""The live feed, GET /v1/changes/stream: every recorded event in log order, as server-sent
events, resumable by Last-Event-ID, filtered, with heartbeats; and what its filters mean
(``application.feed``)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
import pytest
from eventsourcing.utils import TopicError
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.demo.founding_example import load_founding_example
from application.feed import FeedFilter, feed_items
from application.settings import Settings
from domain.errors import InvalidValue
from domain.values import Actor
from tests.api import payloads
from tests.support.clock import FakeClock
from tests.support.keys import bearer, issue

STREAM = "/v1/changes/stream"
HEARTBEAT_SECONDS = 0.2
ACTOR = Actor("test", "stream test")
memory_only = pytest.mark.parametrize("store_kind", ["memory"])


@pytest.fixture
def services(database_url: str, clock: FakeClock) -> Iterator[Services]:
    settings = Settings(
        database_url=database_url,
        stream_heartbeat_seconds=HEARTBEAT_SECONDS,
        stream_poll_seconds=0.02,
        stream_batch_size=20,  # the founding example takes several reads
        stream_retry_ms=1500,
    )
    built = bootstrap(settings, clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    token = issue(services, "operator", "stream test")
    with TestClient(create_app(services=services), headers=bearer(token)) as test_client:
        yield test_client


@dataclass
class Received:
    """What a stream sent: its events, and every block as it came (heartbeats included)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[list[str]] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [event["id"] for event in self.events]


class Stream:
    """An open stream's lines, read a few blocks at a time."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.read()
        self.lines = response.iter_lines()

    def read(self, done: Callable[[Received], bool], seconds: float = 10) -> Received:
        """Blocks until ``done`` says enough (the heartbeats keep lines coming, so the
        deadline is checked even when no event arrives)."""
        received, block = Received(), []
        deadline = time.monotonic() + seconds
        for line in self.lines:
            if line:
                block.append(line)
                continue
            received.blocks.append(block)
            fields = dict(part.split(": ", 1) for part in block if not part.startswith(":"))
            if "data" in fields:
                data = json.loads(fields["data"])
                assert int(fields["id"]) == data["position"]
                assert fields["event"] == data["type"]
                received.events.append({"id": int(fields["id"]), **data})
            block = []
            if done(received):
                return received
            assert time.monotonic() < deadline, f"the stream sent only {received.blocks}"
        raise AssertionError(f"the stream ended early after {received.blocks}")


def events_upto(position: int) -> Callable[[Received], bool]:
    return lambda received: bool(received.events) and received.events[-1]["id"] >= position


def logged_positions(client: TestClient, services: Services) -> list[dict[str, Any]]:
    auditor = bearer(issue(services, "auditor", "reads the log"))
    answer = client.get("/v1/events", params={"limit": 1000}, headers=auditor).json()
    items: list[dict[str, Any]] = answer["items"]
    return items


def test_every_event_is_sent_in_log_order_with_its_position_as_id(
    client: TestClient, services: Services
) -> None:
    load_founding_example(services.ledger, ACTOR)
    with client.stream("GET", STREAM, params={"after": 0}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = Stream(response)
        founding = stream.read(events_upto(83))
        client.post("/v1/subjects", json=payloads.subject("NEW, Person", "99001"))
        later = stream.read(events_upto(services.ledger.last_position()))
    assert founding.blocks[0] == ["retry: 1500"]
    log = logged_positions(client, services)
    received = founding.events + later.events
    assert [e["id"] for e in received] == [item["position"] for item in log]
    assert [e["type"] for e in received] == [item["type"] for item in log]
    designated = next(e for e in received if e["type"] == "designated")
    assert designated["authority"] == "US-OFAC" and designated["kind"] == "designation"
    assert designated["programs"] and designated["measure_id"].startswith(designated["subject_id"])
    assert {"recorded_at", "aggregate_id", "source", "effective_from"} <= designated.keys()
    assert later.events[0]["type"] == "registered" and later.events[0]["position"] == 84


@memory_only
def test_a_reconnect_with_last_event_id_carries_on_after_it_without_a_repeat(
    client: TestClient, services: Services
) -> None:
    load_founding_example(services.ledger, ACTOR)
    with client.stream("GET", STREAM, params={"after": 0}) as response:
        first = Stream(response).read(events_upto(30))
    resumed_at = str(first.ids[-1])
    # The header wins over the query's starting point, as a browser resends both.
    headers = {"Last-Event-ID": resumed_at}
    with client.stream("GET", STREAM, params={"after": 0}, headers=headers) as response:
        second = Stream(response).read(events_upto(83))
    assert first.ids + second.ids == list(range(1, 84))


@memory_only
def test_without_a_starting_point_the_stream_begins_at_the_end_of_the_log(
    client: TestClient, services: Services
) -> None:
    load_founding_example(services.ledger, ACTOR)
    with client.stream("GET", STREAM) as response:
        written = client.post("/v1/subjects", json=payloads.subject("NEW, Person", "99001"))
        received = Stream(response).read(events_upto(written.json()["position"]))
    assert received.ids[0] == 84


@memory_only
def test_heartbeats_are_comments_sent_while_nothing_happens(client: TestClient) -> None:
    with client.stream("GET", STREAM) as response:
        received = Stream(response).read(lambda r: len(r.blocks) >= 3)
    assert received.blocks[1:] == [[": heartbeat"], [": heartbeat"]]


@memory_only
def test_filters_keep_the_events_of_their_authorities_programs_and_kinds(
    client: TestClient, services: Services
) -> None:
    load_founding_example(services.ledger, ACTOR)
    asked = {"program": "DPRK3", "authority": "US-OFAC", "kind": "designation", "after": "0"}
    with client.stream("GET", STREAM, params=asked) as response:
        # The heartbeat moves the client's last id past the events the filters skipped.
        received = Stream(response).read(lambda r: [": heartbeat", "id: 83"] in r.blocks)
    dprk = [e["subject_id"] for e in received.events]
    assert received.events and {e["type"] for e in received.events} == {"designated"}
    assert all("DPRK3" in e["programs"] for e in received.events)
    kinds: dict[str, str | list[str]] = {
        "kind": ["visa_ban", "investment_restriction"],
        "after": "0",
    }
    with client.stream("GET", STREAM, params=kinds) as response:
        others = Stream(response).read(lambda r: [": heartbeat", "id: 83"] in r.blocks)
    assert sorted(e["type"] for e in others.events) == ["investment-restricted", "visa-banned"]
    assert not {e["subject_id"] for e in others.events} & set(dprk)


@memory_only
def test_the_stream_waits_out_a_database_that_is_away_and_carries_on(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client would reconnect into a 503, which ends an EventSource for good: the open
    stream keeps its heartbeats going instead, and loses nothing."""
    load_founding_example(services.ledger, ACTOR)
    outage = iter(range(15))  # 15 reads, at least 0.02 s apart: longer than a heartbeat

    def feed_during_an_outage(*args: Any) -> tuple[list[dict[str, Any]], int]:
        if next(outage, None) is not None:
            raise sqlite3.OperationalError("database is locked")
        return feed_items(*args)

    monkeypatch.setattr("api.routers.stream.feed_items", feed_during_an_outage)
    with client.stream("GET", STREAM, params={"after": 0}) as response:
        received = Stream(response).read(events_upto(83))
    assert received.ids == list(range(1, 84))
    assert [": heartbeat"] in received.blocks  # the outage outlasted a heartbeat period


BAD_REQUESTS: list[tuple[dict[str, Any], dict[bytes, bytes], str]] = [
    ({}, {b"Last-Event-ID": b"abc"}, "Last-Event-ID"),
    ({}, {b"Last-Event-ID": b"-1"}, "Last-Event-ID"),
    ({}, {b"Last-Event-ID": "١٢".encode()}, "Last-Event-ID"),
    ({}, {b"Last-Event-ID": b"1"}, "past the end of the log"),
    ({"after": 1}, {}, "past the end of the log"),
    ({"authority": "US-NOBODY"}, {}, "authority"),
    ({"kind": "embargo"}, {}, "kind"),
    ({"program": " "}, {}, "program"),
]


@memory_only
def test_a_bad_filter_or_starting_point_is_a_problem_document(client: TestClient) -> None:
    for params, headers, detail in BAD_REQUESTS:
        answer = client.get(STREAM, params=params, headers=headers)
        assert answer.status_code == 422, (params, headers)
        assert answer.headers["content-type"] == "application/problem+json"
        assert detail in json.dumps(answer.json()), answer.json()


@memory_only
def test_a_measure_s_later_events_follow_its_authority_kind_and_programs(
    client: TestClient, services: Services
) -> None:
    """Amendments, rescissions and voidings carry no authority of their own: they are judged
    by their measure's, and a subject's own events by its references and its measures."""
    subject_id = client.post("/v1/subjects", json=payloads.subject()).json()["subject_ids"][0]
    client.post(f"/v1/subjects/{subject_id}/designations", json=payloads.designation())
    measure = f"{subject_id}.1"
    cited = {"source": payloads.OFAC}
    client.post(f"/v1/measures/{measure}/amendments", json={**cited, "programs": ["NEW-PROG"]})
    rescinded = client.post(
        f"/v1/measures/{measure}/rescission", json={**cited, "effective_at": "2022-01-05"}
    ).json()["events"][0]["event_id"]
    client.post(f"/v1/events/{rescinded}/voiding", json={"reason": "wrong entry"})
    renamed = {
        "profile": payloads.subject("SOIN, D")["profile"],
        **cited,
        "effective_at": "2022-02-01",
    }
    client.post(f"/v1/subjects/{subject_id}/amendments", json=renamed)

    def kept(**wanted: list[str]) -> list[str]:
        items, scanned = feed_items(services.ledger, 0, 100, FeedFilter.of(**wanted))
        assert scanned == services.ledger.last_position()
        return [item["type"] for item in items]

    later = ["measure-amended", "rescinded", "voided"]
    assert kept(programs=["DPRK3"]) == ["designated", *later, "profile-amended"]
    assert kept(programs=["NEW-PROG"]) == [*later, "profile-amended"]
    assert kept(authorities=["US-OFAC"]) == ["registered", "designated", *later, "profile-amended"]
    assert kept(authorities=["UK"]) == kept(kinds=["visa_ban"]) == []
    everything = kept()
    assert "claimed" in everything and len(everything) == services.ledger.last_position()


@memory_only
def test_a_filter_is_described_and_read_back_and_refuses_unknown_values(
    services: Services,
) -> None:
    chosen = FeedFilter.of(["UK", "US-OFAC"], ["DPRK3"], ["visa_ban"])
    assert FeedFilter.described(chosen.describe()) == chosen
    assert FeedFilter.described({}) == FeedFilter()
    with pytest.raises(InvalidValue, match="US-OFAC"):
        FeedFilter.of(["OFAC"])
    assert feed_items(services.ledger, 0, 10, chosen) == ([], 0)


@memory_only
def test_an_event_this_version_cannot_read_is_shown_by_its_place_and_topic(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event recorded by a later version (a topic this one cannot resolve) neither stops
    the feed nor passes a filter."""
    load_founding_example(services.ledger, ACTOR)
    decode = services.ledger.mapper.to_domain_event

    def later_version_at_2(notification: Any) -> Any:
        if notification.id == 2:
            raise TopicError("sanctions-ledger:sanction-list:published")
        return decode(notification)

    monkeypatch.setattr(services.ledger.mapper, "to_domain_event", later_version_at_2)
    items, scanned = feed_items(services.ledger, 0, 3, FeedFilter())
    assert [item["position"] for item in items] == [1, 2, 3] and scanned == 3
    assert items[1]["aggregate"] == "subject" and items[1]["recorded_at"] is None
    filtered, scanned = feed_items(services.ledger, 1, 1, FeedFilter.of(["US-OFAC"]))
    assert filtered == [] and scanned == 2
