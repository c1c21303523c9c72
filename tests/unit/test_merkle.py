"""The stored-node Merkle tree against a reference written straight from RFC 9162.

The reference below recomputes everything from the entries with the RFC's recursive
definitions (MTH, PATH, PROOF) and its verification algorithms, so that the module, which
only ever reads stored perfect subtrees, is checked against the text and not against itself.
"""

from __future__ import annotations

import hashlib
import math
import random
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.proofs import merkle
from application.proofs.merkle import NodeKey

# --- reference, from RFC 9162 section 2.1 ----------------------------------------------


def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_leaf(entry: bytes) -> bytes:
    return ref_hash(b"\x00" + entry)


def ref_mth(entries: list[bytes]) -> bytes:
    n = len(entries)
    if n == 0:
        return ref_hash(b"")
    if n == 1:
        return ref_leaf(entries[0])
    k = ref_split(n)
    return ref_hash(b"\x01" + ref_mth(entries[:k]) + ref_mth(entries[k:]))


def ref_split(n: int) -> int:
    """The largest power of two strictly smaller than n."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_path(m: int, entries: list[bytes]) -> list[bytes]:
    n = len(entries)
    if n == 1:
        return []
    k = ref_split(n)
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_proof(m: int, entries: list[bytes]) -> list[bytes]:
    return ref_subproof(m, entries, True)


def ref_subproof(m: int, entries: list[bytes], complete: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if complete else [ref_mth(entries)]
    k = ref_split(n)
    if m <= k:
        return [*ref_subproof(m, entries[:k], complete), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


def ref_verify_inclusion(
    leaf_index: int, tree_size: int, hash_: bytes, path: list[bytes], root_hash: bytes
) -> bool:
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, hash_
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = ref_hash(b"\x01" + p + r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            r = ref_hash(b"\x01" + r + p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root_hash


def ref_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """Only defined for 0 < first < second."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr = ref_hash(b"\x01" + c + fr)
            sr = ref_hash(b"\x01" + c + sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn // 2, sn // 2
        else:
            sr = ref_hash(b"\x01" + sr + c)
        fn, sn = fn // 2, sn // 2
    return fr == first_hash and sr == second_hash and sn == 0


# --- fixtures --------------------------------------------------------------------------

MAX_LEAVES = 3000
ENTRIES = [b"entry %d" % i for i in range(MAX_LEAVES)]
LEAVES = [ref_leaf(entry) for entry in ENTRIES]


@cache
def stored_nodes() -> dict[NodeKey, bytes]:
    """Every stored node of the MAX_LEAVES tree, appended in one batch."""
    return merkle.appended_nodes(0, LEAVES, {})


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


def only(keys: list[NodeKey], size: int) -> dict[NodeKey, bytes]:
    """Exactly the requested nodes, after checking each is already stored at ``size``."""
    for level, index in keys:
        assert (index + 1) << level <= size, f"{(level, index)} is not complete at size {size}"
    return {key: stored_nodes()[key] for key in keys}


def tree_root(size: int) -> bytes:
    return merkle.root(size, only(merkle.root_keys(size), size))


def inclusion(index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(index, size, only(merkle.inclusion_keys(index, size), size))


def consistency(first: int, second: int) -> list[bytes]:
    keys = merkle.consistency_keys(first, second)
    return merkle.consistency_proof(first, second, only(keys, second))


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


def flipped(proof: list[bytes], position: int) -> list[bytes]:
    changed = bytes([proof[position][0] ^ 1]) + proof[position][1:]
    return [*proof[:position], changed, *proof[position + 1 :]]


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


# --- inclusion -------------------------------------------------------------------------

# Every (index, size) up to 40, grouped by size to keep the test count sane.
SMALL_SIZES = range(1, 41)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_inclusion_proof_is_the_rfc_path_and_verifies(size: int) -> None:
    for index in range(size):
        check_inclusion_proof_is_the_rfc_path_and_verifies(index, size)


def check_inclusion_proof_is_the_rfc_path_and_verifies(index: int, size: int) -> None:
    proof = inclusion(index, size)
    root = ref_mth(ENTRIES[:size])
    assert proof == ref_path(index, ENTRIES[:size])
    assert ref_verify_inclusion(index, size, LEAVES[index], proof, root)
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, root)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_a_tampered_inclusion_proof_fails(size: int) -> None:
    for index in range(size):
        check_a_tampered_inclusion_proof_fails(index, size)


def check_a_tampered_inclusion_proof_fails(index: int, size: int) -> None:
    proof = inclusion(index, size)
    root = ref_mth(ENTRIES[:size])
    for position in range(len(proof)):
        bad = flipped(proof, position)
        assert not ref_verify_inclusion(index, size, LEAVES[index], bad, root)
        assert not merkle.verify_inclusion(index, size, LEAVES[index], bad, root)
    for other in {index - 1, index + 1} & set(range(size)):
        assert not ref_verify_inclusion(other, size, LEAVES[index], proof, root)
        assert not merkle.verify_inclusion(other, size, LEAVES[index], proof, root)
    assert not merkle.verify_inclusion(index, size, LEAVES[index + 1], proof, root)


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_an_inclusion_proof_fails_for_a_wrong_size(size: int) -> None:
    for index in range(size):
        check_an_inclusion_proof_fails_for_a_wrong_size(index, size)


def check_an_inclusion_proof_fails_for_a_wrong_size(index: int, size: int) -> None:
    proof = inclusion(index, size)
    for other in {size - 1, size + 1} - set(range(index + 1)):
        # Against the other tree's own root, a proof of this tree cannot hold.
        other_root = ref_mth(ENTRIES[:other])
        assert not ref_verify_inclusion(index, other, LEAVES[index], proof, other_root)
        assert not merkle.verify_inclusion(index, other, LEAVES[index], proof, other_root)
        # Against this tree's root, the size fixes how long a proof must be.
        root = ref_mth(ENTRIES[:size])
        expected = ref_verify_inclusion(index, other, LEAVES[index], proof, root)
        assert merkle.verify_inclusion(index, other, LEAVES[index], proof, root) == expected
        if len(ref_path(index, ENTRIES[:other])) != len(proof):
            assert not expected
    assert not merkle.verify_inclusion(index, index, LEAVES[index], proof, ref_mth(ENTRIES[:size]))


# --- consistency -----------------------------------------------------------------------

# Every 0 < first < second up to 40, grouped by the second size.
SECOND_SIZES = range(2, 41)


@pytest.mark.parametrize("second", SECOND_SIZES)
def test_consistency_proof_is_the_rfc_proof_and_verifies(second: int) -> None:
    for first in range(1, second):
        check_consistency_proof_is_the_rfc_proof_and_verifies(first, second)


def check_consistency_proof_is_the_rfc_proof_and_verifies(first: int, second: int) -> None:
    proof = consistency(first, second)
    old, new = ref_mth(ENTRIES[:first]), ref_mth(ENTRIES[:second])
    assert proof == ref_proof(first, ENTRIES[:second])
    assert ref_verify_consistency(first, second, old, new, proof)
    assert merkle.verify_consistency(first, second, old, new, proof)


@pytest.mark.parametrize("second", SECOND_SIZES)
def test_a_tampered_consistency_proof_fails(second: int) -> None:
    for first in range(1, second):
        check_a_tampered_consistency_proof_fails(first, second)


def check_a_tampered_consistency_proof_fails(first: int, second: int) -> None:
    proof = consistency(first, second)
    old, new = ref_mth(ENTRIES[:first]), ref_mth(ENTRIES[:second])
    for position in range(len(proof)):
        bad = flipped(proof, position)
        assert not ref_verify_consistency(first, second, old, new, bad)
        assert not merkle.verify_consistency(first, second, old, new, bad)
    assert not merkle.verify_consistency(first, second, new, new, proof)
    assert not merkle.verify_consistency(first, second, old, old, proof)
    assert not merkle.verify_consistency(first, second, old, new, proof[:-1])
    assert not merkle.verify_consistency(first, second, old, new, [*proof, new])


@pytest.mark.parametrize("second", SECOND_SIZES)
def test_a_consistency_proof_fails_for_wrong_sizes(second: int) -> None:
    for first in range(1, second):
        check_a_consistency_proof_fails_for_wrong_sizes(first, second)


def check_a_consistency_proof_fails_for_wrong_sizes(first: int, second: int) -> None:
    proof = consistency(first, second)
    for wrong_first, wrong_second in [(first - 1, second), (first, second + 1)]:
        if not 0 < wrong_first < wrong_second:
            continue
        old, new = ref_mth(ENTRIES[:wrong_first]), ref_mth(ENTRIES[:wrong_second])
        args = (wrong_first, wrong_second, old, new, proof)
        assert not ref_verify_consistency(*args)
        assert not merkle.verify_consistency(*args)
    swapped = (second, first, ref_mth(ENTRIES[:second]), ref_mth(ENTRIES[:first]), proof)
    assert not merkle.verify_consistency(*swapped)


def test_consistency_from_the_empty_tree_is_an_empty_proof() -> None:
    new = tree_root(10)
    assert merkle.consistency_keys(0, 10) == []
    assert merkle.consistency_proof(0, 10, {}) == []
    assert merkle.verify_consistency(0, 10, merkle.EMPTY_ROOT, new, [])
    assert merkle.verify_consistency(0, 0, merkle.EMPTY_ROOT, merkle.EMPTY_ROOT, [])
    assert not merkle.verify_consistency(0, 10, new, new, [])
    assert not merkle.verify_consistency(0, 10, merkle.EMPTY_ROOT, new, [new])


def test_consistency_between_equal_sizes_is_an_empty_proof() -> None:
    root = tree_root(10)
    assert merkle.consistency_proof(10, 10, {}) == ref_proof(10, ENTRIES[:10]) == []
    assert merkle.verify_consistency(10, 10, root, root, [])
    assert not merkle.verify_consistency(10, 10, root, tree_root(9), [])
    assert not merkle.verify_consistency(10, 10, root, root, [root])


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


@settings(max_examples=30, deadline=None)
@given(st.integers(1, MAX_LEAVES).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_random_inclusion_proofs_match_the_reference(case: tuple[int, int]) -> None:
    index, size = case
    proof = inclusion(index, size)
    assert proof == ref_path(index, ENTRIES[:size])
    root = tree_root(size)
    assert ref_verify_inclusion(index, size, LEAVES[index], proof, root)
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, root)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, MAX_LEAVES).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_random_consistency_proofs_match_the_reference(case: tuple[int, int]) -> None:
    first, second = case
    proof = consistency(first, second)
    assert proof == ref_proof(first, ENTRIES[:second])
    old, new = tree_root(first), tree_root(second)
    assert old == ref_mth(ENTRIES[:first])
    assert ref_verify_consistency(first, second, old, new, proof)
    assert merkle.verify_consistency(first, second, old, new, proof)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, MAX_LEAVES), st.integers(0, 2**32))
def test_random_batches_give_the_same_nodes_as_one_batch(size: int, seed: int) -> None:
    stored = append_in_batches(size, random_batches(size, seed))
    assert stored == {key: value for key, value in stored_nodes().items() if key in stored}
    assert len(stored) == 2 * size - bin(size).count("1")


# --- bad arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: merkle.root_keys(-1),
        lambda: merkle.frontier_keys(-1),
        lambda: merkle.inclusion_keys(3, 3),
        lambda: merkle.inclusion_keys(-1, 3),
        lambda: merkle.inclusion_keys(0, 0),
        lambda: merkle.inclusion_proof(5, 2, {}),
        lambda: merkle.consistency_keys(4, 3),
        lambda: merkle.consistency_keys(-1, 3),
        lambda: merkle.consistency_proof(4, 3, {}),
        lambda: merkle.root(3, {}),
    ],
)
def test_impossible_arguments_raise_value_error(call: Any) -> None:
    with pytest.raises(ValueError, match=r"negative|outside|larger|missing"):
        call()


def test_verifiers_reject_malformed_input_without_raising() -> None:
    root, leaf = tree_root(5), LEAVES[2]
    proof = inclusion(2, 5)
    junk: Any = None
    assert merkle.verify_inclusion(2, 5, leaf, proof, root)
    assert not merkle.verify_inclusion(-1, 5, leaf, proof, root)
    assert not merkle.verify_inclusion(2, -5, leaf, proof, root)
    assert not merkle.verify_inclusion(5, 5, leaf, proof, root)
    assert not merkle.verify_inclusion(2, 5, leaf[:-1], proof, root)
    assert not merkle.verify_inclusion(2, 5, leaf, [*proof[:-1], b"short"], root)
    assert not merkle.verify_inclusion(2, 5, leaf, junk, root)
    assert not merkle.verify_inclusion(2, 5, junk, proof, root)
    assert not merkle.verify_inclusion(junk, 5, leaf, proof, root)
    assert not merkle.verify_inclusion(2, 5, leaf, [*proof, junk], root)

    old, new = tree_root(3), tree_root(5)
    path = consistency(3, 5)
    assert merkle.verify_consistency(3, 5, old, new, path)
    assert not merkle.verify_consistency(-3, 5, old, new, path)
    assert not merkle.verify_consistency(5, 3, old, new, path)
    assert not merkle.verify_consistency(3, 5, old, new, [])
    assert not merkle.verify_consistency(3, 5, old, new, junk)
    assert not merkle.verify_consistency(3, 5, junk, new, path)
    assert not merkle.verify_consistency(3, junk, old, new, path)
    assert not merkle.verify_consistency(3, 5, old, new, [*path[:-1], b"\x00" * 31])
