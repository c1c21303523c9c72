"""Consistency proofs read from the stored nodes are RFC 9162's PROOF and verify, by the RFC's
algorithm and by the module's; a tampered proof, swapped roots or wrong sizes do not, for every
pair of sizes up to 40 and random ones up to ``MAX_LEAVES``; from the empty tree or between
equal sizes the proof is empty."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.proofs import merkle
from tests.support.merkle_reference import ref_mth, ref_proof
from tests.support.merkle_sample_tree import ENTRIES, MAX_LEAVES, consistency, flipped, tree_root
from tests.support.rfc9162 import verify_consistency

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
    assert verify_consistency(first, second, old, new, proof)
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
        assert not verify_consistency(first, second, old, new, bad)
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
        assert not verify_consistency(*args)
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


@settings(max_examples=30, deadline=None)
@given(st.integers(2, MAX_LEAVES).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n))))
def test_random_consistency_proofs_match_the_reference(case: tuple[int, int]) -> None:
    first, second = case
    proof = consistency(first, second)
    assert proof == ref_proof(first, ENTRIES[:second])
    old, new = tree_root(first), tree_root(second)
    assert old == ref_mth(ENTRIES[:first])
    assert verify_consistency(first, second, old, new, proof)
    assert merkle.verify_consistency(first, second, old, new, proof)
