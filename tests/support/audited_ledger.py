"""A ledger as the proof tests read it, the way an outside auditor would: its events as
``GET /v1/events`` shows them, each leaf recomputed here from its entry, and the tree's nodes
as the store holds them."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.commands import Citation, RecordAction, RegisterSubject
from domain.values import Actor, Authority, Name, Profile, Source, SubjectKind
from tests.support import merkle_rows
from tests.support.merkle_rows import TreeRows
from tests.support.rfc9162 import Reference

OPERATOR = Actor("k1", "operator")
SOURCE = Source(Authority.US_OFAC, "proof tests")
EVENTS = 1000


def decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def decoded(texts: Sequence[str]) -> list[bytes]:
    return [decode(text) for text in texts]


def register(count: int, offset: int = 0) -> RecordAction:
    """``count`` subjects in one action; some names lie beyond the Basic Multilingual Plane,
    so that their entries are canonical JSON of the slower kind."""
    names = [f"PERSON {offset + i} {'𠜎𠜱 😀' if i % 50 == 0 else 'Zoë Ærø'}" for i in range(count)]
    return RecordAction(
        tuple(
            RegisterSubject(kind=SubjectKind.PERSON, profile=Profile(names=(Name(name),)))
            for name in names
        ),
        Citation(source=SOURCE),
    )


def all_events(client: TestClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        response = client.get("/v1/events", params={"after": after, "limit": 500})
        assert response.status_code == 200, response.text
        events += response.json()["items"]
        after = response.json()["next_after"]
    return events


def event_id(event: dict[str, Any]) -> str:
    return f"{event['aggregate_id']}@{event['version']}"


def tree_rows(services: Services) -> TreeRows:
    """Every leaf and inner node of the tree, in key order."""
    return merkle_rows.tree_rows(services.ledger.merkle.tables)


def stored_nodes(services: Services) -> dict[tuple[int, int], bytes]:
    """The tree as the store holds it: leaves as level 0, then every stored inner node."""
    leaves, nodes = tree_rows(services)
    found = {(0, int(index)): hash_ for index, _, hash_ in leaves}
    found.update({(int(level), int(index)): hash_ for level, index, hash_ in nodes})
    return found


@dataclass
class Logged:
    """A ledger of ``EVENTS`` events, its client, its events as ``GET /v1/events`` shows
    them, and their leaf hashes recomputed here from each entry."""

    services: Services
    client: TestClient
    events: list[dict[str, Any]]
    leaves: list[bytes]
    reference: Reference

    def root(self, size: int) -> bytes:
        return self.reference.mth(0, size)

    def checkpoint_root(self, size: int) -> bytes:
        response = self.client.get("/v1/ledger/checkpoint", params={"tree_size": size})
        assert response.status_code == 200, response.text
        assert response.json()["tree_size"] == size
        return decode(response.json()["root_hash"])


def canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
