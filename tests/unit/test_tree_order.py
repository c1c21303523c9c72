"""The tree's rows are numbered in the order appending makes them (``tree.node_id``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from application.proofs import merkle
from application.proofs.tree import node_id


def leaf(index: int) -> bytes:
    return merkle.leaf_hash(b"%d" % index)


@given(st.lists(st.integers(min_value=1, max_value=40), max_size=30))
def test_rows_are_numbered_in_the_order_appends_make_them(chunks: list[int]) -> None:
    size = 0
    frontier: dict[merkle.NodeKey, bytes] = {}
    made: list[merkle.NodeKey] = []
    for count in chunks:
        created, frontier = merkle.appended(size, [leaf(size + k) for k in range(count)], frontier)
        made.extend(created)
        size += count
    assert [node_id(level, index) for level, index in made] == list(range(len(made)))
    assert len(made) == 2 * size - size.bit_count()


def test_numbers_of_a_large_tree() -> None:
    """Leaf 2**40 - 1 completes the subtree over the first 2**40 leaves: it is preceded by
    every row of the tree of 2**40 - 1 leaves, then by the 40 nodes it completes below."""
    top = (1 << 40) - 1
    assert node_id(0, top) == 2 * top - top.bit_count()
    assert node_id(40, 0) == node_id(0, top) + 40
