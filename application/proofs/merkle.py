"""The Merkle tree of RFC 9162 section 2.1, computed from stored subtree hashes.

The ledger's log is a Merkle tree: a leaf is ``SHA-256(0x00 || entry)``, an inner node is
``SHA-256(0x01 || left || right)``, the tree over no leaves is ``SHA-256("")``, and the tree
over ``n`` leaves splits at the largest power of two smaller than ``n``.

Recomputing a root from millions of leaves for every question would be far too slow, so the
ledger stores the hash of every *perfect aligned subtree* once, when it is completed: node
``(level, index)`` is the hash of the complete subtree over the leaves
``[index * 2**level, (index + 1) * 2**level)``, and level 0 holds the leaf hashes. Such a
node never changes once written, because later leaves only ever land to its right.

Every range the RFC's recursions (MTH, PATH, PROOF) ever ask about starts at a multiple of
the largest power of two it contains, so its hash decomposes into stored nodes: take the
largest aligned piece that fits, then the next, then fold the pieces from the right. That
makes a root, an inclusion proof or a consistency proof cost O(log n) stored nodes.

Which nodes an answer needs never depends on hash values, so each question is asked in two
steps: ``*_keys`` says which nodes are needed (the caller fetches them all in one query),
then the matching function computes the answer from a mapping of those keys to hashes.

Conventions beyond the RFC, chosen so that a ledger's first checkpoint can be checked like
any other: the root of the empty tree is ``EMPTY_ROOT``; a consistency proof from size 0
(the empty tree is a prefix of every tree) or between equal sizes is the empty list, and it
verifies when the first root is ``EMPTY_ROOT``, respectively when both roots are equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence

NodeKey = tuple[int, int]
"""``(level, index)`` of a stored perfect aligned subtree."""

Nodes = Mapping[NodeKey, bytes]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one log entry as a leaf of the tree."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node over its two children."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


# --- argument checks -------------------------------------------------------------------


def _check_size(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _check_index(index: int, size: int) -> None:
    _check_size("size", size)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")


def _check_sizes(first: int, second: int) -> None:
    _check_size("first", first)
    if first > second:
        raise ValueError(f"first size {first} is larger than second size {second}")


def _hashes(keys: Sequence[NodeKey], nodes: Nodes) -> list[bytes]:
    """The hashes of ``keys``, in order; a missing key is the caller's mistake."""
    missing = [key for key in keys if key not in nodes]
    if missing:
        raise ValueError(f"stored nodes missing from the given mapping: {missing}")
    return [nodes[key] for key in keys]


# --- ranges as stored nodes ------------------------------------------------------------


def _largest_power_below(n: int) -> int:
    """The RFC's split point: the largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_keys(start: int, end: int) -> list[NodeKey]:
    """The stored nodes covering leaves ``[start, end)``, left to right.

    One piece per set bit of the length, largest first. The ranges the RFC recursions visit
    start at a multiple of their largest piece, so every piece is aligned.
    """
    keys: list[NodeKey] = []
    position = start
    for level in reversed(range((end - start).bit_length())):
        if (end - start) >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def _fold(pieces: Sequence[bytes]) -> bytes:
    """MTH of a range from its pieces: each piece is the left child of the rest's tree."""
    result = pieces[-1]
    for piece in reversed(pieces[:-1]):
        result = node_hash(piece, result)
    return result


def _ranges_keys(ranges: Sequence[tuple[int, int]]) -> list[NodeKey]:
    return [key for start, end in ranges for key in _range_keys(start, end)]


def _ranges_hashes(ranges: Sequence[tuple[int, int]], nodes: Nodes) -> list[bytes]:
    return [_fold(_hashes(_range_keys(start, end), nodes)) for start, end in ranges]


# --- roots -----------------------------------------------------------------------------


def root_keys(size: int) -> list[NodeKey]:
    """The stored nodes the root of the first ``size`` leaves is made of."""
    _check_size("size", size)
    return _range_keys(0, size)


def root(size: int, nodes: Nodes) -> bytes:
    """MTH of the first ``size`` leaves, from the nodes named by ``root_keys(size)``."""
    keys = root_keys(size)
    if not keys:
        return EMPTY_ROOT
    return _fold(_hashes(keys, nodes))


# --- appending -------------------------------------------------------------------------


def frontier_keys(size: int) -> list[NodeKey]:
    """The right edge of a tree of ``size`` leaves: the nodes new leaves still combine with.

    These are exactly the maximal perfect subtrees covering the tree, one per set bit of
    ``size``; every node below them is complete for ever and never needed to append.
    """
    return root_keys(size)


class _RightEdge:
    """The right edge of a growing tree: one hash per set bit of its size, by level.

    Appending a leaf works like incrementing a binary counter: the new leaf merges with the
    edge nodes of levels 0, 1, ... for as long as the size has a carry at that level, and
    each merge completes one stored node.
    """

    def __init__(self, size: int = 0, edge: dict[int, bytes] | None = None) -> None:
        self.size = size
        self.edge: dict[int, bytes] = edge if edge is not None else {}

    def push(self, leaf: bytes) -> Iterator[tuple[NodeKey, bytes]]:
        """Append one leaf hash, yielding every stored node it completes (itself first)."""
        self.size += 1
        level, current = 0, leaf
        yield (0, self.size - 1), current
        while not self.size >> level & 1:
            current = node_hash(self.edge.pop(level), current)
            level += 1
            yield (level, (self.size >> level) - 1), current
        self.edge[level] = current

    def root(self) -> bytes:
        if not self.edge:
            return EMPTY_ROOT
        return _fold([self.edge[level] for level in sorted(self.edge, reverse=True)])


def appended_nodes(
    size: int, leaf_hashes: Sequence[bytes], frontier: Nodes
) -> dict[NodeKey, bytes]:
    """Every stored node created by appending ``leaf_hashes`` to a tree of ``size`` leaves.

    ``frontier`` holds the hashes of ``frontier_keys(size)``. The leaves themselves are
    included (level 0). Costs O(k + log n) hashes for k leaves: each leaf adds one node and
    each merge removes one from the edge, which never holds more than log n.
    """
    return appended(size, leaf_hashes, frontier)[0]


def appended(
    size: int, leaf_hashes: Sequence[bytes], frontier: Nodes
) -> tuple[dict[NodeKey, bytes], dict[NodeKey, bytes]]:
    """``appended_nodes``, and the frontier of the grown tree (the hashes of
    ``frontier_keys(size + len(leaf_hashes))``), for the next append."""
    keys = frontier_keys(size)
    hashes = _hashes(keys, frontier)
    edge = _RightEdge(size, {level: hash_ for (level, _), hash_ in zip(keys, hashes, strict=True)})
    created: dict[NodeKey, bytes] = {}
    for leaf in leaf_hashes:
        created.update(edge.push(leaf))
    grown = {(level, (edge.size >> level) - 1): hash_ for level, hash_ in edge.edge.items()}
    return created, grown


class TreeBuilder:
    """Recomputes a tree's root from its leaf hashes in one pass, in O(log n) memory."""

    def __init__(self) -> None:
        self._edge = _RightEdge()

    @property
    def size(self) -> int:
        """How many leaves have been added."""
        return self._edge.size

    def add(self, leaf: bytes) -> None:
        """Append one leaf hash (``leaf_hash(entry)``, not the entry)."""
        for _ in self._edge.push(leaf):
            pass

    def root(self) -> bytes:
        """MTH of the leaves added so far."""
        return self._edge.root()


# --- inclusion proofs ------------------------------------------------------------------


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The sibling ranges of RFC 9162 PATH(index, D[size]), from the leaf upwards.

    Only the first right sibling met on a not-yet-perfect range can span several stored
    nodes: once the walk turns left, every range below is a perfect subtree.
    """
    siblings: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_below(end - start)
        if index < split:
            siblings.append((split, end))
            end = split
        else:
            siblings.append((start, split))
            start = split
    siblings.reverse()
    return siblings


def inclusion_keys(index: int, size: int) -> list[NodeKey]:
    """The stored nodes the inclusion proof of leaf ``index`` in a tree of ``size`` needs."""
    _check_index(index, size)
    return _ranges_keys(_inclusion_ranges(index, size))


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 section 2.1.3.1 PATH(index, D[size]), from the nodes of ``inclusion_keys``."""
    _check_index(index, size)
    return _ranges_hashes(_inclusion_ranges(index, size), nodes)


# --- consistency proofs ----------------------------------------------------------------


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The ranges whose MTHs make RFC 9162 PROOF(first, D[second]), in proof order.

    Follows SUBPROOF: the walk narrows the range until ``first`` is its right end; that
    final range is part of the proof unless it is the whole old tree (which the verifier
    already knows as the first root).
    """
    if first in (0, second):
        return []
    ranges: list[tuple[int, int]] = []
    start, end = 0, second
    whole_old_tree = True
    while first < end:
        split = start + _largest_power_below(end - start)
        if first <= split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def consistency_keys(first: int, second: int) -> list[NodeKey]:
    """The stored nodes the consistency proof from size ``first`` to ``second`` needs."""
    _check_sizes(first, second)
    return _ranges_keys(_consistency_ranges(first, second))


def consistency_proof(first: int, second: int, nodes: Nodes) -> list[bytes]:
    """RFC 9162 section 2.1.4.1 PROOF(first, D[second]), from ``consistency_keys`` nodes.

    Empty when ``first`` is 0 or equal to ``second`` (see the module docstring).
    """
    _check_sizes(first, second)
    return _ranges_hashes(_consistency_ranges(first, second), nodes)


# --- verification ----------------------------------------------------------------------


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _are_hashes(values: object) -> bool:
    return isinstance(values, Sequence) and all(_is_hash(value) for value in values)


def _shift_to_odd(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until ``fn`` is odd or zero (the RFC's recurring step)."""
    while not fn & 1 and fn:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does ``proof`` put leaf hash ``leaf`` at ``index`` under ``root``?

    Never raises: malformed arguments simply do not verify.
    """
    if not (_is_count(index) and _is_count(size) and _is_hash(leaf) and _is_hash(root)):
        return False
    if not _are_hashes(proof) or index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of ``first_root`` a prefix of ``second_root``'s?

    Sizes 0 and equal sizes follow the module's conventions. Never raises: malformed
    arguments simply do not verify.
    """
    if not (_is_count(first) and _is_count(second) and first <= second):
        return False
    if not (_is_hash(first_root) and _is_hash(second_root) and _are_hashes(proof)):
        return False
    if first == 0:
        return first_root == EMPTY_ROOT and len(proof) == 0
    if first == second:
        return first_root == second_root and len(proof) == 0
    return _verify_consistency_path(first, second, first_root, second_root, list(proof))


def _verify_consistency_path(
    first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]
) -> bool:
    """Steps 1 to 7 of RFC 9162 section 2.1.4.2, for ``0 < first < second``."""
    if len(path) == 0:
        return False
    if first & (first - 1) == 0:
        # A power-of-two old tree is a stored node of the new one, so the proof omits it.
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old, new = path[0], path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old, new = node_hash(sibling, old), node_hash(sibling, new)
            fn, sn = _shift_to_odd(fn, sn)
        else:
            new = node_hash(new, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and old == first_root and new == second_root
