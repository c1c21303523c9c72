"""If-Match on every write to one subject: a stale ETag is refused with 412, recording nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import OFAC, designation, subject
from tests.support.keys import bearer, issue
from tests.support.ledgers import log_dump

RACES = 200


def registered(client: TestClient) -> str:
    subject_id: str = client.post("/v1/subjects", json=subject()).json()["subject_ids"][0]
    return subject_id


def etag(client: TestClient, subject_id: str) -> str:
    return client.get(f"/v1/subjects/{subject_id}").headers["etag"]


def amendment(name: str) -> dict[str, Any]:
    return {"profile": {"names": [{"value": name}]}, "effective_at": "2022-01-01", "source": OFAC}


def writes(client: TestClient, subject_id: str) -> dict[str, Callable[[], tuple[str, Any]]]:
    """Each write that targets the subject: its path and body, made against a fresh measure
    or event where it needs one."""

    def designated() -> dict[str, Any]:
        written = client.post(f"/v1/subjects/{subject_id}/designations", json=designation())
        event: dict[str, Any] = written.json()["events"][0]
        return event

    def measure() -> str:
        return str(designated()["measure_id"])

    restriction = {**designation(programs=("NS-CMIC",)), "divestment_deadline": "2022-12-10"}
    return {
        "amendments": lambda: (f"/v1/subjects/{subject_id}/amendments", amendment("NEW NAME")),
        "designations": lambda: (f"/v1/subjects/{subject_id}/designations", designation()),
        "visa-bans": lambda: (
            f"/v1/subjects/{subject_id}/visa-bans",
            designation(programs=("7031(c)",)),
        ),
        "investment": lambda: (
            f"/v1/subjects/{subject_id}/investment-restrictions",
            restriction,
        ),
        "measure amendments": lambda: (
            f"/v1/measures/{measure()}/amendments",
            {"programs": ["GLOMAG"], "source": OFAC},
        ),
        "rescission": lambda: (
            f"/v1/measures/{measure()}/rescission",
            {"effective_at": "2022-02-01", "source": OFAC},
        ),
        "voiding": lambda: (f"/v1/events/{designated()['event_id']}/voiding", {"reason": "test"}),
    }


def test_the_etag_read_lets_one_write_through_and_refuses_the_next(client: TestClient) -> None:
    subject_id = registered(client)
    read = etag(client, subject_id)
    path = f"/v1/subjects/{subject_id}/amendments"
    assert client.post(path, json=amendment("B"), headers={"If-Match": read}).status_code == 201
    stale = client.post(path, json=amendment("C"), headers={"If-Match": read})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert "version 2" in stale.json()["detail"]
    assert etag(client, subject_id) == '"2"'


@pytest.mark.parametrize(
    "write",
    [
        "amendments",
        "designations",
        "visa-bans",
        "investment",
        "measure amendments",
        "rescission",
        "voiding",
    ],
)
def test_every_write_to_a_subject_honours_if_match(
    client: TestClient, services: Services, write: str
) -> None:
    subject_id = registered(client)
    path, body = writes(client, subject_id)[write]()
    current = etag(client, subject_id)
    stale = f'"{int(current.strip(chr(34))) - 1}"'
    recorded = log_dump(services.ledger)
    refused = client.post(path, json=body, headers={"If-Match": stale})
    assert refused.status_code == 412, refused.text
    assert log_dump(services.ledger) == recorded
    assert client.post(path, json=body, headers={"If-Match": current}).status_code == 201


def test_a_star_matches_any_version_of_a_subject_that_exists(client: TestClient) -> None:
    subject_id = registered(client)
    path = f"/v1/subjects/{subject_id}/amendments"
    assert client.post(path, json=amendment("B"), headers={"If-Match": "*"}).status_code == 201
    missing = client.post(
        "/v1/subjects/00000000-0000-0000-0000-000000000000/amendments",
        json=amendment("B"),
        headers={"If-Match": "*"},
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("malformed", ["2", '"two"', '"1", "2"', 'W/"2"', "W/2", ""])
def test_a_value_that_is_no_etag_matches_nothing_and_says_why(
    client: TestClient, services: Services, malformed: str
) -> None:
    subject_id = registered(client)
    recorded = log_dump(services.ledger)
    path = f"/v1/subjects/{subject_id}/amendments"
    response = client.post(path, json=amendment("B"), headers={"If-Match": malformed})
    assert response.status_code == 412, response.text
    assert "no ETag of this ledger" in response.json()["detail"]
    assert log_dump(services.ledger) == recorded


@pytest.mark.slow  # a load test: 200 races on each store
@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)
def test_of_two_clients_with_the_same_etag_exactly_one_wins_each_race(
    client: TestClient, services: Services
) -> None:
    subject_id = registered(client)
    path = f"/v1/subjects/{subject_id}/amendments"
    clients = [bearer(issue(services, "operator", name)) for name in ("left", "right")]

    async def races() -> list[list[int]]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            outcomes = []
            for race in range(RACES):
                read = await http.get(f"/v1/subjects/{subject_id}", headers=clients[0])
                both = await asyncio.gather(
                    *(
                        http.post(
                            path,
                            json=amendment(f"{side}-{race}"),
                            headers={**key, "If-Match": read.headers["etag"]},
                        )
                        for side, key in zip(("L", "R"), clients, strict=True)
                    )
                )
                outcomes.append(sorted(r.status_code for r in both))
            return outcomes

    outcomes = asyncio.run(races())
    assert outcomes == [[201, 412]] * RACES
    assert etag(client, subject_id) == f'"{RACES + 1}"'
