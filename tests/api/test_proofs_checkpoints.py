"""The ledger's checkpoints: signed by the published key, checked with ``cryptography`` alone,
and a checkpoint saved earlier verified over HTTP against the grown log, which fails when an
earlier event was changed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.demo.founding_example import load_founding_example
from tests.conftest import FILE_STORES
from tests.support.audited_ledger import EVENTS, OPERATOR, Logged, all_events, decode, register
from tests.support.rfc9162 import sha256

# --- the checkpoint's signature -----------------------------------------------------------


def signed_parts(note: str) -> tuple[str, str, bytes]:
    """The signed body of a C2SP signed note, its signer's name and the signature blob."""
    text, signatures = note.split("\n\n", 1)
    [line] = signatures.splitlines()
    assert line.startswith("\u2014 ")
    name, blob = line[2:].split(" ")
    return text + "\n", name, decode(blob)


def test_the_checkpoint_is_signed_by_the_published_key(logged: Logged) -> None:
    key = logged.client.get("/v1/ledger/public-key", headers={"Authorization": ""}).json()
    public = Ed25519PublicKey.from_public_bytes(decode(key["public_key"]))
    raw = decode(key["public_key"])
    note = logged.client.get(
        "/v1/ledger/checkpoint", params={"tree_size": 512}, headers={"Accept": "text/plain"}
    )
    assert note.status_code == 200 and note.headers["content-type"].startswith("text/plain")
    body, name, blob = signed_parts(note.text)
    assert name == key["key_name"]
    assert blob[:4] == sha256(name.encode() + b"\n\x01" + raw)[:4]
    public.verify(blob[4:], body.encode())
    origin, size, root = body.splitlines()
    assert origin == key["origin"] and size == "512"
    assert decode(root) == logged.root(512)

    for forged in (
        f"{origin}\n513\n{root}\n",
        f"{origin}\n{EVENTS}\n{root}\n",
        f"{origin}\n512\n{base64.b64encode(logged.root(511)).decode()}\n",
        f"{origin}x\n512\n{root}\n",
    ):
        with pytest.raises(InvalidSignature):
            public.verify(blob[4:], forged.encode())


def test_the_json_checkpoint_carries_the_same_signed_note(logged: Logged) -> None:
    answer = logged.client.get("/v1/ledger/checkpoint").json()
    assert answer["tree_size"] == EVENTS
    assert decode(answer["root_hash"]) == logged.root(EVENTS)
    assert answer["position"] == logged.events[-1]["position"]
    body, _, _ = signed_parts(answer["checkpoint"])
    assert body.splitlines()[1:] == [str(EVENTS), answer["root_hash"]]
    at_position = logged.client.get(
        "/v1/ledger/checkpoint", params={"position": logged.events[99]["position"]}
    ).json()
    assert at_position["tree_size"] == 100
    assert decode(at_position["root_hash"]) == logged.root(100)


# --- the full check over HTTP -------------------------------------------------------------


def saved_checkpoint_then_more(client: TestClient, services: Services) -> str:
    """The founding example, its signed checkpoint, then 100 more events."""
    load_founding_example(services.ledger, OPERATOR)
    note = client.get("/v1/ledger/checkpoint", headers={"Accept": "text/plain"}).text
    services.ledger.execute(register(100, offset=10_000), OPERATOR)
    return note


def verification(client: TestClient, note: str) -> dict[str, Any]:
    response = client.post("/v1/ledger/verification", json={"checkpoint": note})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_saved_checkpoint_verifies_against_the_grown_log(
    client: TestClient, services: Services
) -> None:
    note = saved_checkpoint_then_more(client, services)
    answer = verification(client, note)
    assert answer["verified"] is True and answer["problem_count"] == 0
    assert answer["events"] == answer["tree_size"] == 183
    assert answer["first_bad_position"] is None
    assert answer["checkpoint"]["consistent"] is True
    assert answer["checkpoint"]["tree_size"] == 83


def test_a_checkpoint_saved_as_the_json_answer_verifies_too(
    client: TestClient, services: Services
) -> None:
    load_founding_example(services.ledger, OPERATOR)
    saved = client.get("/v1/ledger/checkpoint?tree_size=40").text
    services.ledger.execute(register(3, offset=20_000), OPERATOR)
    answer = verification(client, saved)
    assert answer["verified"] is True
    assert answer["checkpoint"]["tree_size"] == 40 and answer["checkpoint"]["consistent"] is True
    forged = saved.replace('"tree_size":40', '"tree_size":41').replace("\\n40\\n", "\\n41\\n")
    assert forged.count("41") >= saved.count("41") + 2
    refused = client.post("/v1/ledger/verification", json={"checkpoint": forged})
    assert refused.status_code == 422
    assert "not a checkpoint this ledger signed" in refused.json()["detail"]


@pytest.mark.parametrize("store_kind", FILE_STORES)
def test_a_byte_changed_in_an_earlier_event_fails_the_verification(
    client: TestClient, services: Services
) -> None:
    note = saved_checkpoint_then_more(client, services)
    position = all_events(client)[41]["position"]
    recorder: Any = services.ledger.recorder
    column = "rowid" if services.ledger.store.name == "sqlite" else "notification_id"
    table = recorder.events_table_name
    if services.ledger.store.name == "postgres":
        table = f'"{recorder.datastore.schema}".{table}'
    with services.ledger.merkle.tables.transaction(commit=True) as statements:
        statements.execute(f"SELECT state FROM {table} WHERE {column} = ?", [position])
        row = statements.fetchone()
        assert row is not None
        state = bytearray(bytes(row["state"]))
        at = state.index(b'"timestamp"') + 3
        state[at] ^= 0x01
        statements.execute(
            f"UPDATE {table} SET state = ? WHERE {column} = ?", [bytes(state), position]
        )
    answer = verification(client, note)
    assert answer["verified"] is False
    assert answer["first_bad_position"] == position
    assert answer["problems"][0]["position"] == position
    assert answer["checkpoint"]["consistent"] is False
