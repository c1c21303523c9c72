"""Inclusion proofs read from the stored nodes are RFC 9162's PATH and verify, by the RFC's
algorithm and by the module's; a tampered proof, a neighbouring leaf or a wrong tree size does
not, for every leaf of every tree up to 40 leaves and random ones up to ``MAX_LEAVES``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.proofs import merkle
from tests.support.merkle_reference import ref_mth, ref_path
from tests.support.merkle_sample_tree import (
    ENTRIES,
    LEAVES,
    MAX_LEAVES,
    flipped,
    inclusion,
    tree_root,
)
from tests.support.rfc9162 import verify_inclusion

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
    assert verify_inclusion(index, size, LEAVES[index], proof, root)
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
        assert not verify_inclusion(index, size, LEAVES[index], bad, root)
        assert not merkle.verify_inclusion(index, size, LEAVES[index], bad, root)
    for other in {index - 1, index + 1} & set(range(size)):
        assert not verify_inclusion(other, size, LEAVES[index], proof, root)
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
        assert not verify_inclusion(index, other, LEAVES[index], proof, other_root)
        assert not merkle.verify_inclusion(index, other, LEAVES[index], proof, other_root)
        # Against this tree's root, the size fixes how long a proof must be.
        root = ref_mth(ENTRIES[:size])
        expected = verify_inclusion(index, other, LEAVES[index], proof, root)
        assert merkle.verify_inclusion(index, other, LEAVES[index], proof, root) == expected
        if len(ref_path(index, ENTRIES[:other])) != len(proof):
            assert not expected
    assert not merkle.verify_inclusion(index, index, LEAVES[index], proof, ref_mth(ENTRIES[:size]))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, MAX_LEAVES).flatmap(lambda n: st.tuples(st.integers(0, n - 1), st.just(n))))
def test_random_inclusion_proofs_match_the_reference(case: tuple[int, int]) -> None:
    index, size = case
    proof = inclusion(index, size)
    assert proof == ref_path(index, ENTRIES[:size])
    root = tree_root(size)
    assert verify_inclusion(index, size, LEAVES[index], proof, root)
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, root)
