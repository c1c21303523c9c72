"""The measures lane (``api.measures_lane``): a plain first page of the list as of a date,
answered without the framework's routing, must be the answer the route gives; every request
it cannot answer in full goes on to the app, which answers it as before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.limits import RateLimiter
from api.measures_lane import MeasuresLane
from application import read_budget
from application.bootstrap import Services
from application.reading import Reader
from tests.api import payloads
from tests.api.test_subject_lane import recorded_subjects, through_lane
from tests.support.keys import bearer, cached_key, issue

PLAIN = [
    "",
    "as_of=2022-01-01",
    "as_of=2021-12-09",
    "as_of=2021-12-10T18:50:16Z",
    "as_of=2021-12-10T00:00:00.000001",
    "as_of=2021-12-10T00:00:00%2B01:00",
    "limit=1",
    "limit=02",
    "authority=US-OFAC",
    "authority=UK",
    "kind=designation",
    "kind=visa_ban",
    "subject_kind=person",
    "subject_kind=vessel",
    "program=DPRK3",
    "program=SDGT",
    "as_of=2022-01-01&limit=1&authority=US-OFAC&kind=designation&program=DPRK3",
]


def recorded_measures(client: TestClient) -> None:
    recorded_subjects(client)
    answer = client.post("/v1/subjects", json=payloads.subject("OTHER", "99"))
    other = answer.json()["subject_ids"][0]
    designation = payloads.designation("2021-06-01", programs=("SDGT", "DPRK3"))
    assert client.post(f"/v1/subjects/{other}/designations", json=designation).status_code == 201


def test_the_lane_answers_as_the_route_does(client: TestClient) -> None:
    recorded_measures(client)
    pages = 0
    for query in PLAIN:
        lane = client.get(f"/v1/measures?{query}")
        # min_position=0 asks nothing more of the read, and takes the route.
        route = client.get(f"/v1/measures?{query}&min_position=0")
        assert lane.status_code == route.status_code == 200, (query, lane.text)
        assert lane.content == route.content, query
        assert lane.headers["content-type"] == route.headers["content-type"]
        pages += bool(lane.json()["items"])
    assert pages >= 8  # most of them find measures


def test_a_page_past_the_event_loop_budget_is_read_in_a_thread_the_same(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded_measures(client)
    on_loop = [client.get(f"/v1/measures?{query}").content for query in PLAIN]
    stopped: list[str] = []

    def over_budget(*_: Any) -> Any:
        stopped.append("stopped")
        raise read_budget.OverBudget("the read took more than 2.0 ms")

    monkeypatch.setattr(Reader, "measure_page_now", over_budget)
    in_thread = [client.get(f"/v1/measures?{query}").content for query in PLAIN]
    assert in_thread == on_loop
    reader = bearer(cached_key(services, "reader", monkeypatch))
    client.get("/v1/measures", headers=reader)
    assert through_lane(client, "/v1/measures", reader, MeasuresLane) == (200, 0)
    # Each plain read, and the one through the lane (the first with a new key takes the app).
    assert len(stopped) == (len(PLAIN) + 1 if services.reads_in_process else 0)


def test_a_plain_page_is_answered_by_the_lane_alone(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded_measures(client)
    reader = bearer(cached_key(services, "reader", monkeypatch))
    client.get("/v1/measures", headers=reader)  # the key is now in the cache
    for query in PLAIN:
        answered = through_lane(
            client, "/v1/measures", reader, MeasuresLane, query_string=query.encode()
        )
        assert answered == (200, 0), query


PASSED_ON = [
    "cursor=abc",
    "known_at=position:3",
    "min_position=0",
    "cluster=true",
    "limit=0",
    "limit=-1",
    "limit=ten",
    "limit=1001",
    "limit=",
    "as_of=",
    "as_of=2021-13-01",
    "as_of=yesterday",
    "as_of=2021-12-10&as_of=2021-12-11",
    "authority=us-ofac",
    "authority=NOWHERE",
    "kind=Designation",
    "subject_kind=ship",
    "program=DPRK%203",
    "program=DPRK+3",
    "program=" + "A" * 201,
    "unknown=1",
    "as_of",
    "&",
    "as_of=2021-12-10&",
]


def test_every_other_request_goes_on_to_the_app(client: TestClient, services: Services) -> None:
    recorded_measures(client)
    token = issue(services, "reader")
    client.get("/v1/measures", headers=bearer(token))
    for query in PASSED_ON:
        asked = {"query_string": query.encode()}
        passed = through_lane(client, "/v1/measures", bearer(token), MeasuresLane, **asked)
        assert passed == (204, 1), query
    others = [
        ("/v1/measures/", bearer(token), {}),
        ("/v1/measures", bearer(token), {"method": "HEAD"}),
        ("/v1/measures", {}, {}),
        ("/v1/measures", {"Authorization": "Bearer sl_0000000000000000_x"}, {}),
        ("/v1/measures", {**bearer(token), "Content-Length": "5"}, {}),
    ]
    for path, headers, scope in others:
        assert through_lane(client, path, headers, MeasuresLane, **scope) == (204, 1), path


def test_a_revoked_key_and_a_spent_rate_limit_are_refused_as_before(
    client: TestClient, services: Services
) -> None:
    recorded_measures(client)
    token = issue(services, "reader")
    assert client.get("/v1/measures", headers=bearer(token)).status_code == 200
    key_id = token.split("_")[1]
    assert client.post(f"/v1/keys/{key_id}/revocation").status_code == 200
    refused = client.get("/v1/measures", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"

    limited = issue(services, "reader")
    client.app.state.rate_limiter = RateLimiter(per_minute=1, burst=2)  # type: ignore[attr-defined]
    answers = [client.get("/v1/measures", headers=bearer(limited)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["content-type"] == "application/problem+json"
    too_large = client.get("/v1/measures?limit=1001")
    assert too_large.status_code == 422
    assert "maximum page size" in too_large.json()["detail"]
