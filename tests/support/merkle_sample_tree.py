"""A tree of ``MAX_LEAVES`` known entries, stored once by ``application.proofs.merkle``, and
its root and proofs at any size read from exactly the stored nodes each needs; and a proof with
one byte changed."""

from __future__ import annotations

from functools import cache

from application.proofs import merkle
from application.proofs.merkle import NodeKey
from tests.support.rfc9162 import hash_leaf

MAX_LEAVES = 3000
ENTRIES = [b"entry %d" % i for i in range(MAX_LEAVES)]
LEAVES = [hash_leaf(entry) for entry in ENTRIES]


@cache
def stored_nodes() -> dict[NodeKey, bytes]:
    """Every stored node of the MAX_LEAVES tree, appended in one batch."""
    return merkle.appended_nodes(0, LEAVES, {})


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


def flipped(proof: list[bytes], position: int) -> list[bytes]:
    changed = bytes([proof[position][0] ^ 1]) + proof[position][1:]
    return [*proof[:position], changed, *proof[position + 1 :]]
