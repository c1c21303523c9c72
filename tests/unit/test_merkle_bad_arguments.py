"""Impossible arguments to the Merkle tree's functions raise ``ValueError``; its verifiers
answer malformed input (wrong types, short hashes, impossible sizes) with ``False``, never an
exception."""

from __future__ import annotations

from typing import Any

import pytest

from application.proofs import merkle
from tests.support.merkle_sample_tree import LEAVES, consistency, inclusion, tree_root


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
