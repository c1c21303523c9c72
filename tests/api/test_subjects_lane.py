"""The name-search lane (``api.subjects_lane``): the first page of a plain name search,
answered without the framework's routing, must be the answer the route gives; every request
it cannot answer in full goes on to the app, which answers it as before."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.subjects_lane import SubjectsLane
from application import read_budget
from application.bootstrap import Services
from application.reading import Reader
from tests.api import payloads
from tests.api.test_subject_lane import through_lane
from tests.support.keys import bearer, cached_key, issue

NAMES = ["SOIN, Dmitriy Yurevich", "SØREN, Åse", "AL-HAJJ, Ali", "O'BRIEN, Sean", "PETROV, Ivan"]
PLAIN = [
    "name=SOIN",
    "name=soin",
    "name=Dmitriy+Yurevich",
    "name=Dmitriy%20Yurevich",
    "name=S%C3%98REN",
    "name=soren",
    "name=al-hajj",
    "name=O%27BRIEN",
    "name=ov",
    "name=i",
    "name=nobody%20at%20all",
    "name=SOIN&as_of=2021-12-09",
    "name=SOIN&as_of=2022-01-01T00:00:00Z",
    "name=i&limit=2",
    "limit=1&name=i",
]


def recorded_names(client: TestClient) -> None:
    for number, name in enumerate(NAMES):
        answer = client.post("/v1/subjects", json=payloads.subject(name, f"N-{number}"))
        assert answer.status_code == 201, answer.text


def test_the_lane_answers_as_the_route_does(client: TestClient) -> None:
    recorded_names(client)
    found = 0
    for query in PLAIN:
        lane = client.get(f"/v1/subjects?{query}")
        route = client.get(f"/v1/subjects?{query}&min_position=0")  # takes the route
        assert lane.status_code == route.status_code == 200, (query, lane.text)
        assert lane.content == route.content, query
        assert lane.headers["content-type"] == route.headers["content-type"]
        found += bool(lane.json()["items"])
    assert found >= 10


def test_a_plain_search_is_answered_by_the_lane_alone(
    client: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded_names(client)
    reader = bearer(cached_key(services, "reader", monkeypatch))
    client.get("/v1/subjects", headers=reader)  # the key is now in the cache
    for query in PLAIN:
        answered = through_lane(
            client, "/v1/subjects", reader, SubjectsLane, query_string=query.encode()
        )
        assert answered == (200, 0), query

    def over_budget(*_: Any) -> Any:
        raise read_budget.OverBudget("the read took more than 2.0 ms")

    monkeypatch.setattr(Reader, "subject_page_now", over_budget)  # read in a thread instead
    answered = through_lane(client, "/v1/subjects", reader, SubjectsLane, query_string=b"name=i")
    assert answered == (200, 0)


PASSED_ON = [
    "",
    "kind=person",
    "name=SOIN&kind=person",
    "name=SOIN&cursor=abc",
    "name=SOIN&known_at=position:3",
    "name=SOIN&min_position=0",
    "name=SOIN&name=PETROV",
    "name=",
    "name",
    "name=" + "A" * 201,
    "name=%00SOIN",
    "name=%C3",
    "name=SOIN&limit=0",
    "name=SOIN&limit=1001",
    "name=SOIN&as_of=yesterday",
    "name=S%C3%98REN".replace("%C3%98", "\u00d8"),
]


def test_every_other_request_goes_on_to_the_app(client: TestClient, services: Services) -> None:
    recorded_names(client)
    token = issue(services, "reader")
    client.get("/v1/subjects", headers=bearer(token))
    for query in PASSED_ON:
        scope = {"query_string": query.encode("utf-8")}
        passed = through_lane(client, "/v1/subjects", bearer(token), SubjectsLane, **scope)
        assert passed == (204, 1), query
    refused = client.get("/v1/subjects?name=%00SOIN")
    assert refused.status_code == 422
