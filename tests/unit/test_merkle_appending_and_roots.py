"""How the Merkle tree is stored: the RFC 9162 hashes, appending in any batches stores every
perfect subtree and hands on the frontier, the root read from the stored nodes is the RFC's MTH,
and appends and queries touch only logarithmically many nodes."""

from __future__ import annotations

import hashlib
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.proofs import merkle
from application.proofs.merkle import NodeKey
from tests.support.merkle_reference import ref_mth
from tests.support.merkle_sample_tree import ENTRIES, LEAVES, MAX_LEAVES, stored_nodes, tree_root


def direct_nodes(size: int) -> dict[NodeKey, bytes]:
    """Every perfect aligned subtree of the first ``size`` leaves, straight from MTH."""
    nodes: dict[NodeKey, bytes] = {}
    level = 0
    while 1 << level <= size:
        width = 1 << level
        for index in range(size // width):
            nodes[level, index] = ref_mth(ENTRIES[index * width : (index + 1) * width])
        level += 1
    return nodes


def append_in_batches(size: int, batches: list[int]) -> dict[NodeKey, bytes]:
    """Grow a tree batch by batch, reading only the frontier from what is stored so far."""
    stored: dict[NodeKey, bytes] = {}
    position = 0
    for batch in batches:
        frontier = {key: stored[key] for key in merkle.frontier_keys(position)}
        created = merkle.appended_nodes(position, LEAVES[position : position + batch], frontier)
        assert stored.keys().isdisjoint(created), "a stored node was written twice"
        stored.update(created)
        position += batch
    assert position == size
    return stored


def random_batches(size: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    batches: list[int] = []
    while sum(batches) < size:
        batches.append(min(rng.randint(1, 9), size - sum(batches)))
    return batches


# --- hashing ---------------------------------------------------------------------------


def test_hashes_use_the_rfc_domain_separation() -> None:
    assert hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    assert merkle.leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert merkle.node_hash(b"L", b"R") == hashlib.sha256(b"\x01LR").digest()


# --- appending -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 8, 9, 70])
def test_appending_in_one_batch_stores_every_perfect_subtree(size: int) -> None:
    assert append_in_batches(size, [size] if size else []) == direct_nodes(size)


def test_appending_one_leaf_at_a_time_stores_every_perfect_subtree() -> None:
    assert append_in_batches(70, [1] * 70) == direct_nodes(70)


@pytest.mark.parametrize("seed", range(5))
def test_appending_in_random_batches_stores_every_perfect_subtree(seed: int) -> None:
    assert append_in_batches(70, random_batches(70, seed)) == direct_nodes(70)


def test_the_frontier_has_one_node_per_set_bit_of_the_size() -> None:
    assert merkle.frontier_keys(0) == []
    assert merkle.frontier_keys(8) == [(3, 0)]
    assert merkle.frontier_keys(13) == [(3, 0), (2, 2), (0, 12)]


@pytest.mark.parametrize("seed", range(5))
def test_an_append_hands_on_the_frontier_of_the_grown_tree(seed: int) -> None:
    """The frontier an append returns is what the next append would read from storage."""
    frontier: dict[NodeKey, bytes] = {}
    position = 0
    for batch in random_batches(70, seed):
        _, frontier = merkle.appended(position, LEAVES[position : position + batch], frontier)
        position += batch
        assert frontier == {key: stored_nodes()[key] for key in merkle.frontier_keys(position)}


def test_appending_without_the_frontier_is_refused() -> None:
    with pytest.raises(ValueError, match="missing"):
        merkle.appended_nodes(3, [LEAVES[3]], {(1, 0): LEAVES[0]})


# --- roots -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(71))
def test_root_from_stored_nodes_is_the_mth(size: int) -> None:
    assert tree_root(size) == ref_mth(ENTRIES[:size])


def test_tree_builder_root_is_the_mth_at_every_size() -> None:
    builder = merkle.TreeBuilder()
    assert builder.size == 0
    assert builder.root() == ref_mth([])
    for size in range(1, 71):
        builder.add(LEAVES[size - 1])
        assert builder.size == size
        assert builder.root() == ref_mth(ENTRIES[:size])


# --- cost ------------------------------------------------------------------------------

BIG = 10**6
BOUND = 2 * math.log2(BIG) + 2


@pytest.mark.parametrize("position", [0, 1, 2**19 - 1, 2**19, 123_457, BIG // 2 + 1, BIG - 1])
def test_a_query_reads_logarithmically_many_nodes(position: int) -> None:
    assert len(merkle.root_keys(BIG)) <= math.log2(BIG) + 1
    assert len(merkle.inclusion_keys(position, BIG)) <= BOUND
    if position:
        assert len(merkle.consistency_keys(position, BIG)) <= BOUND
    assert len(merkle.frontier_keys(position)) <= math.log2(BIG) + 1


def test_appending_creates_about_two_nodes_per_leaf() -> None:
    frontier = dict.fromkeys(merkle.frontier_keys(BIG), LEAVES[0])
    assert len(merkle.appended_nodes(BIG, LEAVES[:100], frontier)) < 2 * 100 + math.log2(BIG)


# --- larger random trees ---------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(st.integers(1, MAX_LEAVES), st.integers(0, 2**32))
def test_random_batches_give_the_same_nodes_as_one_batch(size: int, seed: int) -> None:
    stored = append_in_batches(size, random_batches(size, seed))
    assert stored == {key: value for key, value in stored_nodes().items() if key in stored}
    assert len(stored) == 2 * size - bin(size).count("1")
