"""The table of domain.md, "Two times", through HTTP: each row recorded on its own day, and
after each row both questions asked: as of 2022-01-15, known now, and known on 2022-01-20."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.importers.importer import Importer
from application.importers.publications import observed_at_in_name, ofac_sdn
from domain.values import Actor
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


SDN_NULLS = "-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "


def sdn_copy(folder: Path, observed: str, *entries: tuple[str, str]) -> Path:
    """A dated SDN copy as OFAC publishes it, of individuals under SDGT."""
    rows = [f'{number},"{name}","individual","SDGT",{SDN_NULLS},-0- ' for number, name in entries]
    path = folder / f"sdn_{observed}.csv"
    path.write_bytes(("".join(row + "\r\n" for row in rows) + "\x1a").encode("latin-1"))
    return path


def test_an_announced_import_is_in_force_from_the_announcement_and_known_from_the_import(
    client: TestClient, services: Services, clock: FakeClock, tmp_path: Path
) -> None:
    """OFAC announced on 25 February; the copy showing it was observed on the 26th at 01:42
    and imported at 09:00: A's rescission and B's designation take effect on the 25th, and
    the ledger knew of them from the import on, not before."""
    importer = Importer(services, Actor("importer", "list importer"))
    clock.set("2022-02-24T09:00:00Z")
    first = sdn_copy(tmp_path, "2022-02-24T015220Z", ("1", "ALPHA, Anna"))
    importer.run(ofac_sdn(first, observed_at_in_name(first.name)))
    clock.set("2022-02-26T09:00:00Z")
    second = sdn_copy(tmp_path, "2022-02-26T014252Z", ("2", "BRAVO, Boris"))
    announced = ofac_sdn(second, observed_at_in_name(second.name)).announced(date(2022, 2, 25))
    summary = importer.run(announced)
    assert (summary.added, summary.rescinded) == (1, 1)

    def listed(as_of: str, **known: str) -> set[str]:
        response = client.get("/v1/measures", params={"as_of": as_of, **known})
        assert response.status_code == 200, response.text
        return {item["primary_name"] for item in response.json()["items"]}

    assert listed("2022-02-25T00:00:00Z") == {"BRAVO, Boris"}, "in force from the announcement"
    assert listed("2022-02-24T23:59:59Z") == {"ALPHA, Anna"}
    assert listed("2022-02-25T12:00:00Z", known_at="2022-02-26T08:59:59Z") == {"ALPHA, Anna"}
    [measure] = client.get("/v1/measures", params={"as_of": "2022-02-25"}).json()["items"]
    assert measure["effective_from"] == "2022-02-25T00:00:00Z"
    assert measure["source"]["published_on"] == "2022-02-25"
    assert measure["source"]["observed_at"] == "2022-02-26T01:42:52Z"
    history = client.get(f"/v1/subjects/{measure['subject_id']}/history").json()["events"]
    assert {event["recorded_at"] for event in history} == {"2022-02-26T09:00:00Z"}
