"""What the ledger refuses leaves its tree as it was: proof requests the tree cannot answer
are problem answers, and a refused write adds no leaf and no node."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from application.bootstrap import Services
from tests.api.payloads import designation, subject
from tests.support.audited_ledger import EVENTS, Logged, event_id, tree_rows

PROBLEM = "application/problem+json"


# --- refusals -------------------------------------------------------------------------------


def assert_problem(response: Any, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert words in response.json()["detail"]


def test_proof_requests_the_tree_cannot_answer_are_problems(logged: Logged) -> None:
    client, first = logged.client, event_id(logged.events[0])
    assert_problem(client.get(f"/v1/events/{uuid.uuid4()}@1/inclusion"), 404, "no event")
    last = event_id(logged.events[-1])
    assert_problem(
        client.get(f"/v1/events/{last}/inclusion", params={"tree_size": EVENTS - 1}),
        422,
        f"leaf {EVENTS - 1}",
    )
    # A tree size beyond the tree, and a first tree larger than the second, are values the
    # ledger refuses: 422, as for a position beyond the end of the log.
    beyond = {"tree_size": EVENTS + 1}
    assert_problem(client.get(f"/v1/events/{first}/inclusion", params=beyond), 422, "no tree")
    assert_problem(client.get("/v1/ledger/checkpoint", params=beyond), 422, "no tree")
    assert_problem(
        client.get("/v1/ledger/consistency", params={"first": 2, "second": EVENTS + 1}),
        422,
        "no tree",
    )
    assert_problem(
        client.get("/v1/ledger/consistency", params={"first": 20, "second": 10}),
        422,
        "larger than second",
    )


# --- a refused write ------------------------------------------------------------------------


def test_a_refused_write_leaves_the_tree_unchanged(client: TestClient, services: Services) -> None:
    registered = client.post("/v1/subjects", json=subject())
    assert registered.status_code == 201, registered.text
    before = tree_rows(services)
    assert len(before[0]) == 2

    unknown = client.post(f"/v1/subjects/{uuid.uuid4()}/designations", json=designation())
    assert unknown.status_code == 404, unknown.text
    malformed = client.post("/v1/subjects", json={**subject(), "kind": "spaceship"})
    assert malformed.status_code == 422, malformed.text
    taken = client.post("/v1/subjects", json=subject())
    assert taken.status_code == 409, taken.text
    half_good = {"items": [{"op": "register", "key": "x", **subject(reference="9")}]}
    half_good["items"].append({"op": "designate", "subject": str(uuid.uuid4()), **designation()})
    assert client.post("/v1/actions", json=half_good).status_code == 404

    assert tree_rows(services) == before
    checkpoint = client.get("/v1/ledger/checkpoint").json()
    assert checkpoint["tree_size"] == 2
