"""Each leaf is the hash of its event's entry in canonical JSON, and is included under the
signed root of each tree size, as the RFC 9162 verifier written here checks: every leaf's
proof computed from the tree's nodes as the store holds them, and a sample asked of the
service and over HTTP, whose answers must be the very same proofs."""

from __future__ import annotations

import json

import pytest
import rfc8785

from tests.support.audited_ledger import EVENTS, Logged, decode, decoded, event_id, stored_nodes
from tests.support.rfc9162 import hash_leaf, verify_inclusion

INCLUSION_SIZES = (1, 37, 512, 777, EVENTS)


# --- leaves -------------------------------------------------------------------------------


def test_every_leaf_is_the_hash_of_its_entry_in_canonical_json(logged: Logged) -> None:
    assert len(logged.events) == EVENTS
    assert [event["leaf_index"] for event in logged.events] == list(range(EVENTS))
    beyond_bmp = 0
    for event, leaf in zip(logged.events, logged.leaves, strict=True):
        entry = event["entry"]
        assert decode(event["leaf_hash"]) == leaf
        assert hash_leaf(rfc8785.dumps(entry)) == leaf
        assert entry["position"] == event["position"]
        assert entry["originator_id"] == event["aggregate_id"]
        assert entry["originator_version"] == event["version"]
        assert entry["topic"] == event["topic"]
        assert entry["recorded_at"] == entry["state"]["timestamp"]["_data_"]
        beyond_bmp += "😀" in json.dumps(entry, ensure_ascii=False)
    assert beyond_bmp >= 10


# --- inclusion ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", INCLUSION_SIZES)
def test_every_leaf_is_included_under_the_signed_root_of_the_tree_size(
    logged: Logged, size: int
) -> None:
    from application.proofs import merkle  # the proof's producer, not its checker

    root = logged.checkpoint_root(size)
    assert root == logged.root(size)
    nodes = stored_nodes(logged.services)
    for index in range(size):
        path = merkle.inclusion_proof(index, size, nodes)
        assert path == logged.reference.path(index, 0, size), index
        assert verify_inclusion(index, size, logged.leaves[index], path, root), index


@pytest.mark.parametrize("size", INCLUSION_SIZES)
def test_the_service_and_http_answer_the_same_inclusion_proofs(logged: Logged, size: int) -> None:
    root = logged.checkpoint_root(size)
    for index in range(0, size, 25):
        event = logged.events[index]
        answer = logged.services.proofs.inclusion(event_id(event), size)
        assert answer["leaf_index"] == index and answer["tree_size"] == size
        assert decode(answer["root_hash"]) == root
        path = decoded(answer["inclusion_path"])
        assert path == logged.reference.path(index, 0, size)
        assert verify_inclusion(index, size, logged.leaves[index], path, root)
    for index in {0, size // 2, size - 1}:
        event = logged.events[index]
        response = logged.client.get(
            f"/v1/events/{event_id(event)}/inclusion", params={"tree_size": size}
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["event_id"] == event_id(event)
        assert answer["position"] == event["position"]
        assert decode(answer["leaf_hash"]) == logged.leaves[index]
        path = decoded(answer["inclusion_path"])
        assert verify_inclusion(index, size, logged.leaves[index], path, root)


def test_an_inclusion_proof_fails_with_any_hash_changed_or_at_another_size(
    logged: Logged,
) -> None:
    size, index = 777, 300
    answer = logged.services.proofs.inclusion(event_id(logged.events[index]), size)
    path, leaf, root = decoded(answer["inclusion_path"]), logged.leaves[index], logged.root(size)
    assert verify_inclusion(index, size, leaf, path, root)
    for at in range(len(path)):
        changed = [*path]
        changed[at] = bytes([changed[at][0] ^ 0x01]) + changed[at][1:]
        assert not verify_inclusion(index, size, leaf, changed, root), at
    assert not verify_inclusion(index, size, bytes(32), path, root)
    assert not verify_inclusion(index, size, leaf, path, logged.root(size - 1))
    for other in (size - 1, size + 1, 512, 1024, index):
        assert not verify_inclusion(index, other, leaf, path, logged.root(min(other, EVENTS)))
    assert not verify_inclusion(index + 1, size, leaf, path, root)
    assert not verify_inclusion(index, size, leaf, path[:-1], root)
    assert not verify_inclusion(index, size, leaf, [*path, path[-1]], root)
