"""Every write endpoint and every query parameter, fed what a hostile caller sends.

Text no store can hold (NUL and other control characters, lone surrogates, non-characters),
huge strings, timestamps at the calendar's edge, digits of other scripts, forged cursors and
ids, a JSON key named twice. Whatever arrives, on SQLite and on PostgreSQL alike: never a
5xx, every refusal a problem document, nothing recorded by a refused write, and the views
still equal a replay of the log afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.main import create_app
from application.bootstrap import Services
from application.demo.founding_example import demo_subject_id, load_founding_example
from application.feed import FeedFilter
from application.keys import CLI
from application.views.check import check_views
from domain.link import Link
from domain.values import Actor
from tests.api.payloads import OFAC, designation, subject
from tests.conftest import FILE_STORES
from tests.support.depth import examples
from tests.support.hostile import (
    FORGED_CURSORS,
    body_bytes,
    hostile_text,
    hostile_value,
    poisoned_text,
    query_string,
)
from tests.support.keys import bearer, issue
from tests.support.ledgers import log_dump

pytestmark = pytest.mark.parametrize("store_kind", FILE_STORES)
PROBLEM = "application/problem+json"
SOIN, JUSTO, OTHER = (demo_subject_id(f"ofac-{n}") for n in ("34021", "34020", "30184"))
"""Subjects of the founding example, for the bodies of the link routes."""
FUZZ = settings(
    max_examples=examples(quick=30, deep=80),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Ids:
    """Real ids of the founding example, for the path parameters of valid requests."""

    def __init__(self, services: Services) -> None:
        receipt = load_founding_example(services.ledger, Actor("fuzz", "fuzz"))
        assert receipt is not None
        self.subject = str(receipt.subject_ids[0])
        self.measure = receipt.measure_ids[0]
        self.event = f"{self.subject}@1"
        self.key = services.keys.issue("reader", "fuzz target", created_by=CLI).key.id
        self.subscription = services.subscriptions.create(
            "fuzz", "https://hooks.example.org/fuzz", FeedFilter(), None, 0
        ).subscription.id


@pytest.fixture
def fuzzed(services: Services) -> Iterator[tuple[TestClient, Services, Ids]]:
    ids = Ids(services)
    token = issue(services, "admin", "fuzzer")
    with TestClient(create_app(services=services), headers=bearer(token)) as client:
        yield client, services, ids
    services.projector.catch_up()
    report = check_views(services.ledger, services.views)
    assert report.ok, report.differences


def write_templates() -> dict[str, dict[str, Any]]:
    """A valid body for every write route, by the route's path (``concrete`` fills in ids)."""
    action_items = [
        {"op": "register", "key": "new", **subject(reference=uuid.uuid4().hex[:12])},
        {"op": "designate", "subject": "new", **designation()},
    ]
    return {
        "/v1/subjects": subject(reference=uuid.uuid4().hex[:12]),
        "/v1/subjects/{subject_id}/amendments": {
            "profile": {"names": [{"value": "A NAME"}]},
            "source": OFAC,
        },
        "/v1/subjects/{subject_id}/designations": designation(programs=("GLOMAG",)),
        "/v1/subjects/{subject_id}/visa-bans": {**designation(), "covers_family": True},
        "/v1/subjects/{subject_id}/investment-restrictions": {
            **designation(),
            "divestment_deadline": "2022-12-10",
        },
        "/v1/measures/{measure_id}/amendments": {
            "effective_at": "2022-01-01",
            "details": "amended",
            "source": OFAC,
        },
        "/v1/measures/{measure_id}/rescission": {"effective_at": "2022-01-01", "source": OFAC},
        "/v1/events/{event_id}/voiding": {"reason": "x"},
        "/v1/actions": {"items": action_items},
        "/v1/keys": {"role": "reader", "name": "fuzzed"},
        "/v1/keys/{key_id}/revocation": {},
        "/v1/subscriptions": {
            "url": "https://hooks.example.org/fuzz",
            "filter": {"authorities": ["UK"], "programs": ["P"], "kinds": ["designation"]},
            "description": "fuzz",
        },
        "/v1/subscriptions/{subscription_id}/resumption": {},
        "/v1/links": {
            "subject_ids": [str(SOIN), str(JUSTO)],
            "reason": "same",
            "evidence": {"names": ["SOIN"], "identifiers": [{"kind": "passport", "value": "1"}]},
            "effective_from": "2022-01-01",
        },
        "/v1/links/{link_id}/unlinking": {"reason": "not the same", "effective_at": "2022-02-01"},
        "/v1/link-rejections": {"subject_ids": [str(JUSTO), str(OTHER)], "reason": "namesakes"},
    }


def leaves(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in a JSON document, containers included."""
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from leaves(value, (*path, index))


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def assert_refused_cleanly(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM, response.text
        assert response.json()["detail"], response.text


def test_every_write_route_is_fuzzed(fuzzed: tuple[TestClient, Services, Ids]) -> None:
    client, _, _ = fuzzed
    document = client.get("/openapi.json").json()
    writes = {path for path, operations in document["paths"].items() if "post" in operations}
    # The verification and the screenings are POSTs that record nothing
    # (tests/api/test_access.py).
    queries = {"/v1/ledger/verification", "/v1/screenings", "/match/{dataset}"}
    assert writes - queries == set(write_templates())


@FUZZ
@given(data=st.data())
def test_hostile_writes_are_refused_and_record_nothing(
    fuzzed: tuple[TestClient, Services, Ids], data: st.DataObject
) -> None:
    client, services, ids = fuzzed
    templates = write_templates()
    route = data.draw(st.sampled_from(sorted(templates)), label="route")
    path, body = concrete(route, ids), templates[route]
    how = data.draw(st.sampled_from(["field", "path", "duplicate key"]), label="how")
    content = body_bytes(body)
    if how == "field":
        where = data.draw(st.sampled_from(list(leaves(body))), label="field")
        content = body_bytes(replaced(body, where, data.draw(hostile_value(), label="value")))
    elif how == "path" and "{" in route:
        segment = data.draw(hostile_text(huge=False), label="segment")
        path = path.rsplit("/", 2)[0] + "/" + quote(segment.encode("utf-8", "surrogatepass"), "")
        path += "/" + route.rsplit("/", 1)[1]
    elif how == "duplicate key" and body:
        first = next(iter(body))
        content = b'{"' + first.encode() + b'": null, ' + body_bytes(body)[1:]
    before = log_dump(services.ledger)
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    assert_refused_cleanly(response)
    if response.status_code >= 400:
        assert log_dump(services.ledger) == before


def query_parameters(client: TestClient) -> list[tuple[str, str]]:
    """(path, parameter) for every query parameter of every GET route the API documents."""
    document = client.get("/openapi.json").json()
    return [
        (path, parameter["name"])
        for path, operations in document["paths"].items()
        if "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter["in"] == "query"
    ]


def concrete(path: str, ids: Ids) -> str:
    return (
        path.replace("{subject_id}", ids.subject)
        .replace("{measure_id}", ids.measure)
        .replace("{event_id}", ids.event)
        .replace("{key_id}", ids.key)
        .replace("{subscription_id}", ids.subscription)
        .replace("{link_id}", str(Link.id_for(SOIN, JUSTO)))
    )


@FUZZ
@given(data=st.data())
def test_hostile_query_parameters_never_answer_5xx(
    fuzzed: tuple[TestClient, Services, Ids], data: st.DataObject
) -> None:
    client, services, ids = fuzzed
    path, name = data.draw(st.sampled_from(query_parameters(client)), label="parameter")
    value = data.draw(hostile_text(huge=False), label="value")
    before = log_dump(services.ledger)
    with client.stream("GET", f"{concrete(path, ids)}?{query_string({name: value})}") as response:
        # Only a refusal is read whole: the change stream's answer never ends by itself.
        if response.status_code >= 400:
            response.read()
        assert_refused_cleanly(response)
    assert log_dump(services.ledger) == before


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("as_of", "9999-12-31T23:59:59-01:00"),
        ("as_of", "0001-01-01T00:00:00+01:00"),
        ("known_at", "9999-12-31T23:59:59-01:00"),
        ("known_at", "position:\u00b2"),
        ("known_at", "position:\u0661"),
        ("known_at", "position:" + "9" * 30),
        ("min_position", "99999"),
        ("program", "\x00"),
        ("name", "SOIN\x00"),
        ("cursor", FORGED_CURSORS[3]),
    ],
)  # fmt: skip
def test_each_class_of_hostile_read_is_a_422(
    fuzzed: tuple[TestClient, Services, Ids], name: str, value: str
) -> None:
    client, _, _ = fuzzed
    response = client.get(f"/v1/measures?{query_string({name: value})}")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("segment", ["\u00b2", "\u0661", "9" * 30])
def test_ids_with_digits_python_reads_but_the_ledger_never_writes_are_a_422(
    fuzzed: tuple[TestClient, Services, Ids], segment: str
) -> None:
    client, services, ids = fuzzed
    before = log_dump(services.ledger)
    for path, body in (
        (f"/v1/measures/{ids.subject}.{segment}/rescission", {"effective_at": "2022-01-01"}),
        (f"/v1/events/{ids.subject}@{segment}/voiding", {"reason": "x"}),
    ):
        response = client.post(path, json={**body, "source": OFAC})
        assert response.status_code == 422, response.text
    assert log_dump(services.ledger) == before


@FUZZ
@given(text=poisoned_text())
def test_no_poisoned_name_reaches_the_log(
    fuzzed: tuple[TestClient, Services, Ids], text: str
) -> None:
    client, services, _ = fuzzed
    before = log_dump(services.ledger)
    body = subject(name="SAFE " + text, reference=uuid.uuid4().hex[:12])
    response = client.post("/v1/subjects", content=body_bytes(body))
    assert response.status_code == 422, response.text
    assert "U+" in response.json()["detail"]
    assert log_dump(services.ledger) == before


def test_a_key_named_twice_is_refused(fuzzed: tuple[TestClient, Services, Ids]) -> None:
    client, services, ids = fuzzed
    before = log_dump(services.ledger)
    response = client.post(
        f"/v1/subjects/{ids.subject}/designations",
        content=b'{"authority": "US-OFAC", "programs": ["A"], "programs": ["B"], '
        b'"effective_from": "2021-12-10", "source": {"authority": "US-OFAC", "reference": "r"}}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "'programs' twice" in response.json()["detail"]
    assert log_dump(services.ledger) == before
