"""The table of domain.md, "Two times", through HTTP: each row recorded on its own day, and
after each row both questions asked: as of 2022-01-15, known now, and known on 2022-01-20."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.payloads import OFAC, designation, subject
from tests.support.clock import FakeClock

AS_OF = "2022-01-15"
KNOWN_EARLY = "2022-01-20T00:00:00Z"


def in_force(client: TestClient, **known: str) -> set[str]:
    response = client.get("/v1/measures", params={"as_of": AS_OF, **known})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["as_of"].startswith(AS_OF)
    return {item["primary_name"] for item in body["items"]}


def test_the_two_times_of_domain_md(client: TestClient, clock: FakeClock) -> None:
    clock.set("2022-01-10T09:00:00Z")
    x = client.post("/v1/subjects", json=subject("X", reference="1")).json()["subject_ids"][0]
    x_measure = client.post(
        f"/v1/subjects/{x}/designations", json=designation("2022-01-10")
    ).json()["measure_ids"][0]
    assert in_force(client) == {"X"}
    assert in_force(client, known_at=KNOWN_EARLY) == {"X"}

    clock.set("2022-02-01T09:00:00Z")
    rescinded = client.post(
        f"/v1/measures/{x_measure}/rescission", json={"effective_at": "2022-01-12", "source": OFAC}
    )
    assert rescinded.status_code == 201
    assert in_force(client) == set(), "what we now know was true then"
    assert in_force(client, known_at=KNOWN_EARLY) == {"X"}, "what we believed then"

    clock.set("2022-03-01T09:00:00Z")
    y = client.post("/v1/subjects", json=subject("Y", reference="2")).json()["subject_ids"][0]
    y_designation = client.post(f"/v1/subjects/{y}/designations", json=designation("2022-01-05"))
    assert in_force(client) == {"Y"}
    assert in_force(client, known_at=KNOWN_EARLY) == {"X"}, "Y was unknown on 2022-01-20"

    clock.set("2022-03-02T09:00:00Z")
    event_id = y_designation.json()["events"][0]["event_id"]
    voided = client.post(f"/v1/events/{event_id}/voiding", json={"reason": "recorded in error"})
    assert voided.status_code == 201
    assert in_force(client) == set()
    assert in_force(client, known_at=KNOWN_EARLY) == {"X"}

    # Known at a log position: just before the voiding, Y was in force.
    before_voiding = voided.json()["position"] - 1
    assert in_force(client, known_at=f"position:{before_voiding}") == {"Y"}
