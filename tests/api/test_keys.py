"""Keys over HTTP and their effect: who recorded what, revocation, roles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from domain.errors import InvalidValue
from tests.api.payloads import designation, subject
from tests.support.hostile import body_bytes
from tests.support.keys import bearer, issue


def test_a_write_is_attributed_to_its_key_by_id_and_name(
    client: TestClient, services: Services
) -> None:
    created = client.post("/v1/keys", json={"role": "operator", "name": "ofac-importer"}).json()
    operator = bearer(created["token"])
    subject_id = client.post("/v1/subjects", json=subject(), headers=operator).json()[
        "subject_ids"
    ][0]
    client.post(f"/v1/subjects/{subject_id}/designations", json=designation())
    history = client.get(f"/v1/subjects/{subject_id}/history").json()["events"]
    admin = next(k for k in services.keys.all() if k.name == "test admin")
    assert [e["recorded_by"] for e in history] == [
        {"id": created["id"], "name": "ofac-importer"},
        {"id": admin.id, "name": "test admin"},
    ]
    assert created["token"] not in str(history)


def test_keys_are_listed_without_secrets_and_revoked_at_once(client: TestClient) -> None:
    created = client.post("/v1/keys", json={"role": "reader", "name": "screening"}).json()
    assert created["token"].startswith(f"sl_{created['id']}_")
    reader = bearer(created["token"])
    assert client.get("/v1/measures", headers=reader).status_code == 200
    listed = client.get("/v1/keys").json()["items"]
    assert "token" not in str(listed) and created["token"] not in str(listed)
    revoked = client.post(f"/v1/keys/{created['id']}/revocation")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.post(f"/v1/keys/{created['id']}/revocation").json() == revoked.json()
    refused = client.get("/v1/measures", headers=reader)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_a_key_cannot_revoke_itself_nor_an_unknown_key(
    client: TestClient, services: Services
) -> None:
    me = next(k for k in services.keys.all() if k.name == "test admin")
    assert client.post(f"/v1/keys/{me.id}/revocation").status_code == 409
    assert client.post("/v1/keys/0000000000000000/revocation").status_code == 404


def test_only_an_admin_manages_keys(client: TestClient, services: Services) -> None:
    operator = bearer(issue(services, "operator"))
    new_key = {"role": "admin", "name": "escalation"}
    assert client.post("/v1/keys", json=new_key, headers=operator).status_code == 403
    assert client.get("/v1/keys", headers=operator).status_code == 403


def test_a_key_needs_a_known_role_and_a_name(client: TestClient) -> None:
    for body in (
        {"role": "root", "name": "x"},
        {"role": "reader", "name": "  "},
        {"role": "reader"},
    ):
        response = client.post("/v1/keys", json=body)
        assert response.status_code == 422, body


def test_a_key_name_obeys_the_events_text_rule_however_the_key_is_made(
    client: TestClient, services: Services
) -> None:
    """The name is recorded with every write the key makes: a name that no event may hold
    would make every one of them refused."""
    for name in ("N\u0085EL", "non\ufdd0character", "lone\ud800"):
        with pytest.raises(InvalidValue):
            services.keys.issue("operator", name, created_by="test")
        answer = client.post("/v1/keys", content=body_bytes({"role": "operator", "name": name}))
        assert answer.status_code == 422, answer.text
