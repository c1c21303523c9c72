"""Text in a JSON body is checked by the request guard whichever way it is written: as the
character itself, or as an escape (``api.request_guard``). Each refusal names the field."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.api import payloads
from tests.support.ledgers import log_dump

WRITTEN = {
    "as itself": lambda character: json.dumps(
        payloads.subject(f"SOIN{character}, Dmitriy"), ensure_ascii=False
    ),
    "as an escape": lambda character: json.dumps(payloads.subject(f"SOIN{character}, Dmitriy")),
}


@pytest.mark.parametrize("written", sorted(WRITTEN))
@pytest.mark.parametrize("character", ["\x00", "\x08", "\x7f", "\x9f", "\ufdd0", "\U0001fffe"])
def test_a_refused_character_in_a_body_is_refused_however_written(
    client: TestClient, services: object, written: str, character: str
) -> None:
    body = WRITTEN[written](character)
    # Control characters below U+0020 are always escaped in JSON; the others are sent as
    # they are, unless escaped.
    assert (character in body) is (written == "as itself" and character >= " ")
    before = log_dump(services.ledger)  # type: ignore[attr-defined]
    answer = client.post(
        "/v1/subjects", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert f"U+{ord(character):04X}" in detail and "profile.names[0].value" in detail
    assert answer.json()["type"].endswith("unacceptable-text")  # refused at the door
    assert log_dump(services.ledger) == before  # type: ignore[attr-defined]


def test_a_body_without_escapes_or_refused_characters_is_taken(client: TestClient) -> None:
    body = json.dumps(payloads.subject("SØIN, Dmitriy"), ensure_ascii=False)
    answer = client.post(
        "/v1/subjects", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text
