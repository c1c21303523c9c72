"""The Merkle tree's stored rows, as leaves and nodes, for tests that compare them.

The tree keeps every leaf and node in one table, numbered in the order the tree made them
(``application.proofs.tree``). Tests state what the tree must hold as leaves
``(index, position, hash)`` and nodes ``(level, index, hash)``; these helpers read the table
back in that shape, and write a tree in the two tables earlier versions kept it in.
"""

from __future__ import annotations

from application.proofs.tree import FORMER_LEAVES, FORMER_NODES, TREE, node_id
from application.tables import Tables

Leaves = list[tuple[int, int, bytes]]
Nodes = list[tuple[int, int, bytes]]
TreeRows = tuple[Leaves, Nodes]


def tree_rows(tables: Tables) -> TreeRows:
    """Every leaf by index and every inner node by level and index, as stored."""
    with tables.transaction(commit=False) as statements:
        statements.execute(f"SELECT node_id, leaf_index, position, hash FROM {{{TREE}}}")
        rows = statements.fetchall()
    leaves = sorted(
        (int(r["leaf_index"]), int(r["position"]), bytes(r["hash"]))
        for r in rows
        if r["position"] is not None
    )
    keys = _keys_by_id(len(leaves))
    nodes = sorted(
        (*keys[int(r["node_id"])], bytes(r["hash"])) for r in rows if r["position"] is None
    )
    misplaced = [
        r["leaf_index"]
        for r in rows
        if r["position"] is not None and int(r["node_id"]) != node_id(0, int(r["leaf_index"]))
    ]
    assert not misplaced, f"leaves stored out of the tree's order: {misplaced[:5]}"
    return leaves, nodes


def _keys_by_id(size: int) -> dict[int, tuple[int, int]]:
    """Every inner node a tree of ``size`` leaves holds, by its row number."""
    return {
        node_id(level, index): (level, index)
        for level in range(1, size.bit_length())
        for index in range(size >> level)
    }


def write_former_tables(tables: Tables, rows: TreeRows) -> None:
    """Keep the tree as earlier versions kept it: leaves in one table, nodes by level and
    index in another, and no table of this version's."""
    leaves, nodes = rows
    with tables.transaction(commit=True) as statements:
        statements.execute(f"DROP TABLE {{{TREE}}}")
        statements.execute(
            f"CREATE TABLE {{{FORMER_LEAVES}}} (leaf_index {{BIGINT}} PRIMARY KEY, "
            "position {BIGINT} NOT NULL UNIQUE, hash {BLOB} NOT NULL)"
        )
        statements.execute(
            f"CREATE TABLE {{{FORMER_NODES}}} (level INTEGER NOT NULL, node_index {{BIGINT}} "
            "NOT NULL, hash {BLOB} NOT NULL, PRIMARY KEY (level, node_index)){CLUSTERED}"
        )
        statements.executemany(
            f"INSERT INTO {{{FORMER_LEAVES}}} (leaf_index, position, hash) VALUES (?, ?, ?)",
            leaves,
        )
        statements.executemany(
            f"INSERT INTO {{{FORMER_NODES}}} (level, node_index, hash) VALUES (?, ?, ?)", nodes
        )


def former_tables_left(tables: Tables) -> list[str]:
    """The former tables that still exist."""
    with tables.transaction(commit=False) as statements:
        return [name for name in (FORMER_LEAVES, FORMER_NODES) if tables.exists(statements, name)]
