"""Reading over HTTP: filters, search, paging, deltas, the raw log, reading one's writes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.demo.founding_example import demo_subject_id, load_founding_example
from domain.values import Actor
from tests.api.payloads import OFAC

SOIN = str(demo_subject_id("ofac-34021"))


@pytest.fixture
def example(client: TestClient, services: Services) -> TestClient:
    load_founding_example(services.ledger, Actor("k1", "operator"))
    return client


def items(client: TestClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def test_measures_filter_by_authority_program_kind_and_subject_kind(example: TestClient) -> None:
    assert len(items(example, "/v1/measures", authority="US-OFAC")) == 26
    dprk = items(example, "/v1/measures", program="DPRK3")
    assert {m["primary_name"] for m in dprk} >= {
        "SOIN, Dmitriy Yurevich",
        "EUROPEAN INSTITUTE JUSTO",
    }
    assert all("DPRK3" in m["programs"] for m in dprk)
    [ban] = items(example, "/v1/measures", kind="visa_ban")
    assert ban["covers_family"] is True and ban["authority"] == "US-STATE"
    people = items(example, "/v1/measures", subject_kind="person", authority="US-OFAC")
    assert people and all(m["subject_kind"] == "person" for m in people)
    assert items(example, "/v1/measures", as_of="2021-12-09") == []


def test_subjects_are_found_by_any_name_ignoring_case_accents_and_punctuation(
    example: TestClient,
) -> None:
    for query in ("soyin", "SOIN dmitry", "Sóin, Dmitriy"):
        found = items(example, "/v1/subjects", name=query)
        assert [s["subject_id"] for s in found] == [SOIN], query
    [soin] = items(example, "/v1/subjects", reference="US-OFAC:34021")
    assert soin["measures"][0]["programs"] == ["DPRK3"]
    bangladesh = items(example, "/v1/subjects", country="bangladesh", authority="US-OFAC")
    assert len(bangladesh) == 6
    assert items(example, "/v1/subjects", name="soin", active=False) == []
    assert items(example, "/v1/subjects", name="soin", as_of="2021-12-01", active=True) == []


def test_pages_stay_at_the_point_of_their_first_page(example: TestClient) -> None:
    first = example.get("/v1/measures", params={"limit": 10}).json()
    assert len(first["items"]) == 10 and first["next_cursor"]
    example.post(
        f"/v1/measures/{SOIN}.1/rescission", json={"effective_at": "2022-01-01", "source": OFAC}
    )
    seen = [m["measure_id"] for m in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = example.get("/v1/measures", params={"cursor": cursor, "limit": 10}).json()
        assert page["position"] == first["position"]
        seen += [m["measure_id"] for m in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 29
    assert f"{SOIN}.1" in seen, "the rescission came after the first page's point"


def test_a_page_larger_than_the_maximum_is_refused(example: TestClient) -> None:
    response = example.get("/v1/measures", params={"limit": 5000})
    assert response.status_code == 422
    assert "maximum" in response.json()["detail"]


def test_changes_between_recorded_times_read_like_a_delta_file(example: TestClient) -> None:
    start = example.get("/v1/measures").json()["position"]
    example.post(
        f"/v1/measures/{SOIN}.1/rescission", json={"effective_at": "2022-01-05", "source": OFAC}
    )
    amended = f"{demo_subject_id('ofac-34020')}.1"
    example.post(
        f"/v1/measures/{amended}/amendments",
        json={"programs": ["DPRK3", "GLOMAG"], "effective_at": "2022-01-01", "source": OFAC},
    )
    delta = example.get("/v1/changes", params={"since": f"position:{start}"}).json()
    changes = {(c["entity"], c["change"]) for c in delta["items"]}
    by_id = {c["id"]: c for c in delta["items"]}
    assert by_id[f"{SOIN}.1"]["change"] == "removed"
    assert by_id[amended]["change"] == "modified"
    assert by_id[amended]["after"]["programs"] == ["DPRK3", "GLOMAG"]
    assert changes == {("measure", "removed"), ("measure", "modified")}

    everything = example.get("/v1/changes", params={"since": "position:0", "limit": 1000}).json()
    added = [c for c in everything["items"] if c["change"] == "added"]
    assert len([c for c in added if c["entity"] == "measure"]) == 28
    assert len([c for c in added if c["entity"] == "subject"]) == 29


def test_changes_between_effective_dates(example: TestClient) -> None:
    delta = example.get(
        "/v1/changes", params={"effective_since": "2021-12-09", "effective_until": "2021-12-11"}
    ).json()
    assert {c["change"] for c in delta["items"]} == {"added"}
    assert len(delta["items"]) == 29
    assert delta["since"]["position"] == delta["until"]["position"]


def test_changes_page_through_with_a_cursor(example: TestClient) -> None:
    keys: list[str] = []
    params: dict[str, Any] = {"since": "position:0", "limit": 10}
    while True:
        page = example.get("/v1/changes", params=params).json()
        keys += [c["key"] for c in page["items"]]
        if not page["next_cursor"]:
            break
        params = {"cursor": page["next_cursor"], "limit": 10}
    assert len(keys) == len(set(keys)) == 58


def test_the_raw_log_pages_in_order(example: TestClient) -> None:
    seen, after = [], 0
    while after is not None:
        page = example.get("/v1/events", params={"after": after, "limit": 25}).json()
        seen += page["items"]
        after = page["next_after"]
    assert [e["position"] for e in seen] == list(range(1, len(seen) + 1))
    kinds = {e["aggregate"] for e in seen}
    assert kinds == {"subject", "reference_claim"}
    designated = [e for e in seen if e["type"] == "designated"]
    assert len(designated) == 27 and all(e["source"] and e["recorded_by"] for e in designated)


def test_a_subject_reads_as_known_at_a_position(example: TestClient) -> None:
    now = example.get(f"/v1/subjects/{SOIN}").json()
    assert now["known_at"] == "now"
    early = example.get(f"/v1/subjects/{SOIN}", params={"known_at": "position:1"})
    assert early.status_code == 404
    assert "not yet recorded" in early.json()["detail"]
    beyond = example.get(f"/v1/subjects/{SOIN}", params={"known_at": "position:99999"})
    assert beyond.status_code == 422


def test_a_read_that_the_views_cannot_serve_yet_says_so(
    services: Services, client: TestClient
) -> None:
    services.reader.keeps_views = False
    services.reader.wait_seconds = 0.1
    written = load_founding_example(services.ledger, Actor("k1", "operator"))
    assert written is not None
    behind = client.get("/v1/measures", params={"min_position": written.position})
    assert behind.status_code == 503
    assert behind.headers["retry-after"]
    assert behind.headers["content-type"] == "application/problem+json"
    services.projector.catch_up()
    caught_up = client.get("/v1/measures", params={"min_position": written.position})
    assert caught_up.status_code == 200
    assert caught_up.json()["position"] >= written.position
