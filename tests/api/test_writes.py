"""Recording over HTTP: every write endpoint, and every refusal as a problem document."""

from __future__ import annotations

from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import OFAC, designation, subject
from tests.support.ledgers import log_dump

PROBLEM = "application/problem+json"


def registered(client: TestClient) -> str:
    response = client.post("/v1/subjects", json=subject())
    assert response.status_code == 201, response.text
    subject_id: str = response.json()["subject_ids"][0]
    assert response.headers["location"] == f"/v1/subjects/{subject_id}"
    return subject_id


def test_a_designation_is_recorded_and_read_back(client: TestClient) -> None:
    subject_id = registered(client)
    written = client.post(f"/v1/subjects/{subject_id}/designations", json=designation())
    assert written.status_code == 201, written.text
    measure_id = written.json()["measure_ids"][0]
    position = written.json()["position"]

    read = client.get(f"/v1/subjects/{subject_id}")
    assert read.status_code == 200
    body = read.json()
    assert read.headers["etag"] == '"2"'
    assert body["profile"]["primary_name"] == "SOIN, Dmitriy Yurevich"
    assert body["position"] == position
    [measure] = body["measures"]
    assert (measure["measure_id"], measure["kind"], measure["programs"]) == (
        measure_id,
        "designation",
        ["DPRK3"],
    )
    assert measure["in_force"] is True
    assert measure["source"]["reference"] == OFAC["reference"]


def test_visa_bans_carry_family_coverage_and_restrictions_a_deadline(client: TestClient) -> None:
    subject_id = registered(client)
    ban = {**designation(programs=("7031(c)",)), "authority": "US-STATE", "covers_family": True}
    restriction = {**designation(programs=("NS-CMIC",)), "divestment_deadline": "2022-12-10"}
    assert client.post(f"/v1/subjects/{subject_id}/visa-bans", json=ban).status_code == 201
    assert (
        client.post(
            f"/v1/subjects/{subject_id}/investment-restrictions", json=restriction
        ).status_code
        == 201
    )
    measures = {m["kind"]: m for m in client.get(f"/v1/subjects/{subject_id}").json()["measures"]}
    assert measures["visa_ban"]["covers_family"] is True
    assert measures["investment_restriction"]["divestment_deadline"] == "2022-12-10T00:00:00Z"


def test_a_rescission_and_a_voiding_show_in_the_history(client: TestClient) -> None:
    subject_id = registered(client)
    measure_id = client.post(f"/v1/subjects/{subject_id}/designations", json=designation()).json()[
        "measure_ids"
    ][0]
    rescinded = client.post(
        f"/v1/measures/{measure_id}/rescission", json={"effective_at": "2022-01-05", "source": OFAC}
    )
    assert rescinded.status_code == 201, rescinded.text
    rescission_id = rescinded.json()["events"][0]["event_id"]
    voided = client.post(f"/v1/events/{rescission_id}/voiding", json={"reason": "wrong entry"})
    assert voided.status_code == 201, voided.text

    history = client.get(f"/v1/subjects/{subject_id}/history").json()
    types = [event["type"] for event in history["events"]]
    assert types == ["registered", "designated", "rescinded", "voided"]
    assert history["events"][2]["voided_by"] == voided.json()["events"][0]["event_id"]
    assert all(event["recorded_by"]["id"] for event in history["events"])
    assert [e["position"] for e in history["events"]] == sorted(
        e["position"] for e in history["events"]
    )
    [measure] = client.get(f"/v1/subjects/{subject_id}").json()["measures"]
    assert measure["in_force"] is True


def test_an_action_is_all_or_nothing_over_http(client: TestClient, services: Services) -> None:
    before = log_dump(services.ledger)
    items = [
        {"op": "register", "key": "soin", **subject()},
        {"op": "designate", "subject": "soin", **designation()},
        {"op": "designate", "subject": "soin", **designation()},
    ]
    refused = client.post("/v1/actions", json={"items": items})
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert log_dump(services.ledger) == before
    accepted = client.post("/v1/actions", json={"items": items[:2]})
    assert accepted.status_code == 201
    assert [e["type"] for e in accepted.json()["events"]] == ["registered", "designated"]


def test_a_second_identical_designation_is_a_conflict_naming_the_first(client: TestClient) -> None:
    subject_id = registered(client)
    first = client.post(f"/v1/subjects/{subject_id}/designations", json=designation()).json()
    again = client.post(f"/v1/subjects/{subject_id}/designations", json=designation())
    assert again.status_code == 409
    problem = again.json()
    assert problem["existing_measure_id"] == first["measure_ids"][0]
    assert problem["status"] == 409 and "already in force" in problem["detail"]


def test_refusals_are_problem_documents_and_record_nothing(
    client: TestClient, services: Services
) -> None:
    subject_id = registered(client)
    before = log_dump(services.ledger)
    cases = {
        "/v1/subjects/7c8cd24f-bfad-5755-b9af-fd7b8ae4f292/designations": (designation(), 404),
        f"/v1/subjects/{subject_id}/designations": ({**designation(), "authority": "NARNIA"}, 422),
        f"/v1/subjects/{subject_id}/visa-bans": ({**designation(), "covers_family": "maybe"}, 422),
        "/v1/measures/not-a-measure/rescission": (
            {"effective_at": "2022-01-01", "source": OFAC},
            404,
        ),
        f"/v1/measures/{subject_id}.9/rescission": (
            {"effective_at": "2022-01-01", "source": OFAC},
            404,
        ),
        f"/v1/events/{subject_id}@1/voiding": ({"reason": "no"}, 409),
        "/v1/subjects": ({**subject(reference="34021")}, 409),
    }
    for path, (body, status) in cases.items():
        response = client.post(path, json=body)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"], path
    assert log_dump(services.ledger) == before


def test_an_unknown_value_is_refused_with_the_accepted_ones(client: TestClient) -> None:
    subject_id = registered(client)
    response = client.post(
        f"/v1/subjects/{subject_id}/designations", json={**designation(), "authority": "NARNIA"}
    )
    detail = response.json()["detail"]
    for accepted in ("US-OFAC", "US-STATE", "UK", "CA", "EU", "UN-SC"):
        assert accepted in detail


def test_an_implausible_date_needs_confirmation(client: TestClient) -> None:
    subject_id = registered(client)
    early = designation(start="1938-01-01")
    refused = client.post(f"/v1/subjects/{subject_id}/designations", json=early)
    assert refused.status_code == 422
    assert "1945" in refused.json()["detail"]
    confirmed = client.post(
        f"/v1/subjects/{subject_id}/designations", json={**early, "confirm_unusual_dates": True}
    )
    assert confirmed.status_code == 201


def test_a_past_version_of_a_subject_reads_as_it_was(client: TestClient) -> None:
    subject_id = registered(client)
    client.post(f"/v1/subjects/{subject_id}/designations", json=designation())
    assert client.get(f"/v1/subjects/{subject_id}", params={"version": 1}).json()["measures"] == []
    missing = client.get("/v1/subjects/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
