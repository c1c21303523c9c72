"""Links between subjects over HTTP, on every store: a link recorded at one time and
undone at a later one reads three ways at three known_at's, never touches the subjects'
histories, and refusals leave the log as it was."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import designation, subject
from tests.support.clock import FakeClock
from tests.support.ledgers import log_dump

UN = {"authority": "UN-SC", "reference": "SC/14392", "published_on": "2021-12-10"}
AS_OF = "2022-06-01"
EVIDENCE = {
    "identifiers": [{"kind": "passport", "value": "100123456", "country": "RU"}],
    "names": ["SOIN, Dmitriy Yurevich"],
    "birth_dates": ["1969-08-07"],
    "score": 0.97,
}


def registered(client: TestClient, name: str, reference: str) -> str:
    response = client.post("/v1/subjects", json=subject(name, reference=reference))
    assert response.status_code == 201, response.text
    subject_id: str = response.json()["subject_ids"][0]
    return subject_id


def listed_by_un(client: TestClient, subject_id: str) -> None:
    body = {**designation("2021-12-10"), "authority": "UN-SC", "source": UN}
    response = client.post(f"/v1/subjects/{subject_id}/designations", json=body)
    assert response.status_code == 201, response.text


def cluster(client: TestClient, cluster_id: str, **params: str) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/v1/clusters/{cluster_id}", params={"as_of": AS_OF, **params})
    return response.status_code, response.json()


def link(client: TestClient, first: str, second: str, **extra: Any) -> dict[str, Any]:
    body = {"subject_ids": [first, second], "reason": "same passport", "evidence": EVIDENCE}
    response = client.post("/v1/links", json={**body, **extra})
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


memory_only = pytest.mark.parametrize("store_kind", ["memory"])
"""The tests that read the same views every store holds: run on one store only."""


@pytest.fixture
def pair(client: TestClient, clock: FakeClock) -> tuple[str, str]:
    """The OFAC and the UN record of one person, each with its authority's designation."""
    clock.set("2022-01-03T09:00:00Z")
    ofac = registered(client, "SOIN, Dmitriy Yurevich", "34021")
    client.post(f"/v1/subjects/{ofac}/designations", json=designation("2021-12-10"))
    un = registered(client, "SOIN Dmitry", "90001")
    listed_by_un(client, un)
    return ofac, un


def test_a_link_and_its_undoing_read_three_ways(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    ofac, un = pair
    histories = [client.get(f"/v1/subjects/{s}/history").json() for s in pair]
    canonical = "cl_" + min(pair)

    clock.set("2022-02-01T09:00:00Z")
    linked = link(client, ofac, un, effective_from="2022-01-01")
    link_id = linked["link_ids"][0]
    assert linked["subject_ids"] == []
    assert linked["events"][0]["type"] == "linked"

    clock.set("2022-08-01T09:00:00Z")
    unlinking = {"reason": "different fathers' names", "effective_at": "2022-07-01"}
    unlinked = client.post(f"/v1/links/{link_id}/unlinking", json=unlinking)
    assert unlinked.status_code == 201, unlinked.text

    before = f"position:{linked['position'] - 1}"
    between = f"position:{linked['position']}"
    after = f"position:{unlinked.json()['position']}"

    status, body = cluster(client, canonical, known_at=before)
    assert status == 404, "before the link the two were unrelated"

    status, body = cluster(client, canonical, known_at=between)
    assert status == 200, body
    assert body["cluster_id"] == canonical
    assert sorted(m["subject_id"] for m in body["members"]) == sorted(pair)
    assert [link["effective_until"] for link in body["links"]] == [None]
    summaries = sorted(m["summary"] for m in body["measures"])
    assert summaries == [
        "designation by UN-SC since 2021-12-10 (DPRK3)",
        "designation by US-OFAC since 2021-12-10 (DPRK3)",
    ]

    status, body = cluster(client, canonical, known_at=after)
    assert status == 200, "on 2022-06-01 they were still taken as one: the unlinking is later"
    assert [link["effective_until"] for link in body["links"]] == ["2022-07-01T00:00:00Z"]
    status, _ = cluster(client, canonical, known_at=after, as_of="2022-07-01")
    assert status == 404, "from the unlinking's effective time on, no cluster"

    assert [client.get(f"/v1/subjects/{s}/history").json() for s in pair] == histories


@memory_only
def test_a_subject_names_its_cluster_at_the_read_point(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    ofac, un = pair
    assert client.get(f"/v1/subjects/{ofac}").json()["cluster"] is None
    clock.set("2022-02-01T09:00:00Z")
    linked = link(client, ofac, un)
    now = client.get(f"/v1/subjects/{ofac}").json()
    assert now["cluster"] == {"cluster_id": "cl_" + min(pair), "members": [un]}
    earlier = client.get(
        f"/v1/subjects/{ofac}", params={"known_at": f"position:{linked['position'] - 1}"}
    ).json()
    assert earlier["cluster"] is None
    first_version = client.get(f"/v1/subjects/{ofac}", params={"version": 1}).json()
    assert first_version["cluster"] is None, "its first event was recorded before the link"
    assert client.get(f"/v1/subjects/{un}").json()["cluster"]["members"] == [ofac]


@memory_only
def test_a_rejection_is_recorded_and_listed(client: TestClient, pair: tuple[str, str]) -> None:
    ofac, un = pair
    body = {"subject_ids": [un, ofac], "reason": "namesakes", "evidence": {"notes": "ages"}}
    rejected = client.post("/v1/link-rejections", json=body)
    assert rejected.status_code == 201, rejected.text
    link_id = rejected.json()["link_ids"][0]
    assert rejected.headers["location"] == f"/v1/links/{link_id}"

    listed = client.get("/v1/links", params={"status": "rejected"}).json()
    assert [item["link_id"] for item in listed["items"]] == [link_id]
    assert listed["items"][0]["decision"]["reason"] == "namesakes"
    assert client.get("/v1/links", params={"status": "linked"}).json()["items"] == []

    read = client.get(f"/v1/links/{link_id}").json()
    assert read["status"] == "rejected"
    assert read["subject_ids"] == sorted(pair)
    assert [d["type"] for d in read["decisions"]] == ["rejected"]
    assert client.get(f"/v1/clusters/cl_{ofac}").status_code == 404


def test_refusals_leave_the_log_unchanged(
    client: TestClient, services: Services, pair: tuple[str, str]
) -> None:
    ofac, un = pair
    linked = link(client, ofac, un)
    before = log_dump(services.ledger)
    refused = [
        client.post("/v1/links", json={"subject_ids": [ofac, un], "reason": "again"}),
        client.post("/v1/links", json={"subject_ids": [ofac, ofac], "reason": "self"}),
        client.post(
            "/v1/links",
            json={"subject_ids": [ofac, "00000000-0000-4000-8000-000000000000"], "reason": "x"},
        ),
        client.post("/v1/link-rejections", json={"subject_ids": [un, ofac], "reason": "no"}),
        client.post(
            "/v1/links/00000000-0000-4000-8000-000000000000/unlinking", json={"reason": "x"}
        ),
        client.post(
            f"/v1/links/{linked['link_ids'][0]}/unlinking",
            json={"reason": "too early", "effective_at": "2000-01-01"},
        ),
        client.post("/v1/links", json={"subject_ids": [ofac, un]}),
    ]
    assert [r.status_code for r in refused] == [409, 422, 404, 409, 404, 409, 422]
    assert all(r.headers["content-type"].startswith("application/problem+json") for r in refused)
    assert log_dump(services.ledger) == before


@memory_only
def test_a_link_write_is_idempotent(client: TestClient, pair: tuple[str, str]) -> None:
    body = {"subject_ids": list(pair), "reason": "same passport"}
    headers = {"Idempotency-Key": "link-once"}
    first = client.post("/v1/links", json=body, headers=headers)
    again = client.post("/v1/links", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"


def test_the_changes_feed_carries_links_and_unlinks(
    client: TestClient, clock: FakeClock, pair: tuple[str, str]
) -> None:
    start = f"position:{client.get('/v1/events').json()['position']}"
    clock.set("2022-02-01T09:00:00Z")
    linked = link(client, *pair)
    link_id = linked["link_ids"][0]
    added = client.get("/v1/changes", params={"since": start}).json()["items"]
    assert [(c["entity"], c["id"], c["change"]) for c in added] == [("link", link_id, "added")]
    dates = {"effective_since": "2022-01-15", "effective_until": "2022-03-01"}
    in_effect = client.get("/v1/changes", params=dates).json()["items"]
    assert [(c["entity"], c["change"]) for c in in_effect] == [("link", "added")]

    clock.set("2022-03-01T09:00:00Z")
    client.post(f"/v1/links/{link_id}/unlinking", json={"reason": "wrong"})
    since = f"position:{linked['position']}"
    removed = client.get("/v1/changes", params={"since": since}).json()["items"]
    assert [(c["entity"], c["change"]) for c in removed] == [("link", "removed")]
    assert removed[0]["before"]["decision"]["event_id"] == f"{link_id}@1"

    logged = client.get("/v1/events", params={"after": linked["position"] - 1}).json()
    assert [(e["aggregate"], e["type"]) for e in logged["items"]] == [
        ("link", "linked"),
        ("link", "unlinked"),
    ]
    assert logged["items"][1]["reason"] == "wrong"


@memory_only
def test_a_measures_list_can_answer_per_cluster(client: TestClient, pair: tuple[str, str]) -> None:
    before = client.get("/v1/measures", params={"cluster": "true"}).json()["items"]
    assert [m["cluster_id"] for m in before] == [None, None]
    link(client, *pair)
    grouped = client.get("/v1/measures", params={"cluster": "true"}).json()["items"]
    assert {m["subject_id"]: m["cluster_id"] for m in grouped} == dict.fromkeys(
        pair, "cl_" + min(pair)
    )
    plain = client.get("/v1/measures").json()["items"]
    assert all("cluster_id" not in m for m in plain)
    assert [{**m, "cluster_id": None} for m in plain] == [
        {**m, "cluster_id": None} for m in grouped
    ]
