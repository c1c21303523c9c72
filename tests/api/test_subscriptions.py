"""Webhook subscriptions over HTTP: creating, reading, deleting and resuming them, the secret
shown once, refusals that store nothing, and who may see and manage which."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook

from application.bootstrap import Services
from application.webhooks.progress import Attempt, Progress
from application.webhooks.signing import message_id, payload, signed_headers
from domain.values import Authority
from tests.support.keys import bearer, issue
from tests.support.webhooks import record_designations

HOOK = "https://hooks.example.org/ledger"
MEMORY_ONLY = pytest.mark.parametrize("store_kind", ["memory"], indirect=True)
"""For what the store makes no difference to: who may see what."""


def subscribe(client: TestClient, **fields: Any) -> dict[str, Any]:
    answer = client.post("/v1/subscriptions", json={"url": HOOK, **fields})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def test_a_subscription_is_created_its_secret_shown_once(
    client: TestClient, services: Services
) -> None:
    last = record_designations(services.ledger, Authority.UK, 1)
    sent = {
        "url": HOOK,
        "filter": {"authorities": ["UK"], "programs": ["TEST"], "kinds": ["designation"]},
        "description": "screening",
    }
    answer = client.post("/v1/subscriptions", json=sent, headers={"Idempotency-Key": "one"})
    assert answer.status_code == 201
    created = answer.json()
    assert answer.headers["location"] == f"/v1/subscriptions/{created['id']}"
    assert created["secret"].startswith("whsec_")
    assert (created["status"], created["cursor"], created["failures"]) == ("active", last, 0)
    assert created["filter"] == sent["filter"]
    body = payload({"position": 1})
    headers = signed_headers(created["secret"], message_id(created["id"], 1), body, _now())
    Webhook(created["secret"]).verify(body, headers)  # the secret is a Standard Webhooks one

    shown = client.get(f"/v1/subscriptions/{created['id']}")
    listed = client.get("/v1/subscriptions")
    assert shown.status_code == listed.status_code == 200
    assert listed.json()["items"] == [shown.json()]
    assert shown.json() == {k: v for k, v in created.items() if k != "secret"}
    repeat = client.post("/v1/subscriptions", json=sent, headers={"Idempotency-Key": "one"})
    assert repeat.headers["idempotent-replayed"] == "true"
    assert repeat.json() == {**created, "secret": None}
    for answered in (shown, listed, repeat):
        assert created["secret"] not in answered.text
    assert len(client.get("/v1/subscriptions").json()["items"]) == 1


@MEMORY_ONLY
def test_a_subscription_may_start_from_any_position_of_the_log(
    client: TestClient, services: Services
) -> None:
    last = record_designations(services.ledger, Authority.UK, 1)
    assert subscribe(client, after=0)["cursor"] == 0
    beyond = client.post("/v1/subscriptions", json={"url": HOOK, "after": last + 1})
    assert beyond.status_code == 422
    assert "beyond" in beyond.json()["detail"]


BAD_BODIES: list[dict[str, Any]] = [
    {"url": "ftp://hooks.example.org/x"},
    {"url": "https:///no-host"},
    {"url": "hooks.example.org/x"},
    {"url": "https://user:pass@hooks.example.org/x"},
    {"url": "https://hooks.example.org/x#part"},
    {"url": "https://hooks.example.org/a b"},
    {"url": "https://hooks.example.org:port/x"},
    {"url": HOOK, "filter": {"authorities": ["MARS"]}},
    {"url": HOOK, "filter": {"kinds": ["travel_ban"]}},
    {"url": HOOK, "filter": {"programs": [" "]}},
    {"url": HOOK, "filter": {"colours": ["red"]}},
    {"url": HOOK, "description": ""},
    {"url": HOOK, "after": -1},
    {"url": HOOK, "secret": "whsec_mine"},
    {},
]


def test_bad_input_is_a_problem_and_stores_nothing(client: TestClient) -> None:
    for body in BAD_BODIES:
        answer = client.post("/v1/subscriptions", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"]
    assert client.get("/v1/subscriptions").json()["items"] == []


@MEMORY_ONLY
def test_a_key_sees_and_manages_only_its_own_and_an_admin_all(
    client: TestClient, services: Services
) -> None:
    alice, bob = bearer(issue(services, "operator")), bearer(issue(services, "operator"))
    reader = bearer(issue(services, "reader"))
    mine = client.post("/v1/subscriptions", json={"url": HOOK}, headers=alice).json()
    path = f"/v1/subscriptions/{mine['id']}"
    assert client.post("/v1/subscriptions", json={"url": HOOK}, headers=reader).status_code == 403
    assert client.delete(path, headers=reader).status_code == 403
    assert client.get("/v1/subscriptions", headers=reader).json()["items"] == []
    assert client.get(path, headers=reader).status_code == 404
    assert client.get("/v1/subscriptions", headers=bob).json()["items"] == []
    for answer in (
        client.get(path, headers=bob),
        client.get(f"{path}/deliveries", headers=bob),
        client.delete(path, headers=bob),
        client.post(f"{path}/resumption", headers=bob),
    ):
        assert answer.status_code == 404, answer.text
    assert [s["id"] for s in client.get("/v1/subscriptions", headers=alice).json()["items"]] == [
        mine["id"]
    ]
    assert [s["id"] for s in client.get("/v1/subscriptions").json()["items"]] == [mine["id"]]
    assert client.delete(path).status_code == 204, "an admin manages every subscription"
    assert client.get(path, headers=alice).status_code == 404


@MEMORY_ONLY
def test_a_deleted_subscription_is_gone_with_its_log(client: TestClient) -> None:
    created = subscribe(client)
    path = f"/v1/subscriptions/{created['id']}"
    assert client.delete(path).status_code == 204
    for answer in (client.get(path), client.get(f"{path}/deliveries"), client.delete(path)):
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/subscriptions").json()["items"] == []


def test_a_paused_subscription_is_resumed_and_its_deliveries_read_in_pages(
    client: TestClient, services: Services
) -> None:
    created = subscribe(client, after=0)
    path = f"/v1/subscriptions/{created['id']}"
    refused = client.post(f"{path}/resumption")
    assert refused.status_code == 409, "only a paused subscription can be resumed"
    fail_three_times(services, created["id"])
    paused = client.get(path).json()
    assert (paused["status"], paused["failures"]) == ("paused", 3)
    assert paused["last_error"] == "the receiver answered 500"
    assert paused["next_attempt_at"] is not None and paused["paused_at"] is not None

    resumed = client.post(f"{path}/resumption")
    assert resumed.status_code == 200
    assert (resumed.json()["status"], resumed.json()["failures"]) == ("active", 0)
    assert resumed.json()["next_attempt_at"] is None and resumed.json()["cursor"] == 0

    first = client.get(f"{path}/deliveries", params={"limit": 2}).json()
    rest = client.get(f"{path}/deliveries", params={"after": first["next_after"]}).json()
    log = first["items"] + rest["items"]
    assert rest["next_after"] is None
    assert [(d["seq"], d["attempt"], d["status_code"], d["position"]) for d in log] == [
        (1, 1, 500, 1),
        (2, 2, 500, 1),
        (3, 3, 500, 1),
    ]
    assert {d["webhook_id"] for d in log} == {message_id(created["id"], 1)}


def fail_three_times(services: Services, ident: str) -> None:
    """What the worker records when a receiver answers 500 three times, the last pausing."""
    progress = Progress(services.tables)
    work = progress.acquire(ident, "test worker", now=0, lease=60)
    assert work is not None
    for failures in (1, 2, 3):
        attempt = Attempt(message_id(ident, 1), 1, 500, "the receiver answered 500", _now(), 5)
        work = progress.failed(work, attempt, retry_at=2e9, pause=failures == 3)


def _now() -> datetime:
    return datetime.now(UTC)
