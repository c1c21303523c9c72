"""The ledger's Merkle tree, kept in the same transaction as the events it covers.

One table beside the events holds every leaf (its index, the position of its event, its
hash) and every node that roots a complete aligned subtree (``application.proofs.merkle``).
A write appends its events' leaves and the nodes they complete inside the transaction that
stores the events, after the store has given them their positions and while it still holds
the lock that orders writers (SQLite's one writer; PostgreSQL's table lock). So the tree can
never skip, reorder or lag an event: any position a read names already has its tree, and a
write whose tree cannot be stored is not stored either.

Rows are numbered in the order the tree creates them (``node_id``): each leaf, then the
nodes it completes, lowest first. Every write therefore adds its rows at the end of the
table and of the leaves' index by position, touching one page of each; keyed by level and
index instead, its nodes landed on a page per level, and the tree cost a single write twice
the pages. Appending reads only the right edge of the tree (one node per set bit of its
size); a root at any size or a proof reads O(log n) nodes in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import structlog

from application.proofs import merkle
from application.proofs.merkle import NodeKey
from application.tables import Row, Statements, Tables

log = structlog.get_logger("merkle")

TREE = "ledger_merkle_tree"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {{{TREE}}} ("
    "node_id {BIGINT} PRIMARY KEY, leaf_index {BIGINT}, position {BIGINT}, "
    "hash {BLOB} NOT NULL)",
    # Leaves only: a node has no position, and would otherwise add a row at the index's start.
    f"CREATE UNIQUE INDEX IF NOT EXISTS ledger_merkle_tree_positions ON {{{TREE}}} (position) "
    "WHERE position IS NOT NULL",
)
NODE_INSERT = f"INSERT INTO {{{TREE}}} (node_id, leaf_index, position, hash) VALUES (?, ?, ?, ?)"
LAST_LEAF = (
    f"SELECT leaf_index, position, hash FROM {{{TREE}}} WHERE position IS NOT NULL "
    "ORDER BY position DESC LIMIT 1"
)
LEAF_AT = f"SELECT leaf_index, hash FROM {{{TREE}}} WHERE position = ?"
SIZE_AT = f"SELECT leaf_index FROM {{{TREE}}} WHERE position <= ? ORDER BY position DESC LIMIT 1"
LEAVES_BETWEEN = (
    f"SELECT leaf_index, position, hash FROM {{{TREE}}} WHERE position >= ? AND position <= ? "
    "ORDER BY position"
)
LEAVES_FROM = (
    f"SELECT leaf_index, position, hash FROM {{{TREE}}} WHERE node_id >= ? "
    "AND position IS NOT NULL ORDER BY node_id LIMIT ?"
)

FORMER_LEAVES, FORMER_NODES = "ledger_merkle_leaves", "ledger_merkle_nodes"
"""The tables the tree was kept in before: leaves, and nodes keyed by level and index."""
_POPCOUNT = " + ".join(f"((t >> {bit}) & 1)" for bit in range(63))
"""The set bits of ``t`` (a non-negative 63-bit integer), in SQL both stores speak."""
MOVE_LEAVES = (
    f"INSERT INTO {{{TREE}}} (node_id, leaf_index, position, hash) "
    f"SELECT 2 * t - ({_POPCOUNT}), leaf_index, position, hash FROM "
    f"(SELECT leaf_index AS t, leaf_index, position, hash FROM {{{FORMER_LEAVES}}}) former"
)
MOVE_NODES = (
    f"INSERT INTO {{{TREE}}} (node_id, hash) SELECT 2 * t - ({_POPCOUNT}) + level, hash FROM "
    f"(SELECT ((node_index + 1) << level) - 1 AS t, level, hash FROM {{{FORMER_NODES}}}) former"
)
"""``node_id`` of each former row, computed by the database."""


def node_id(level: int, index: int) -> int:
    """The row number of node ``(level, index)``: how many rows the tree holds before it.

    The node is completed by leaf ``t = (index + 1) * 2**level - 1``, before which the tree
    holds ``2t - popcount(t)`` rows (a tree of ``n`` leaves holds ``2n - popcount(n)``:
    every leaf and every perfect aligned subtree); that leaf comes first, then the nodes it
    completes, one per level up to ``level``."""
    completing = ((index + 1) << level) - 1
    return 2 * completing - completing.bit_count() + level


@dataclass(frozen=True)
class _Edge:
    size: int
    last: bytes
    """The hash of the last leaf, which names the whole tree before it: it hashes the
    event's position and content, and only the write that stored that event appended it."""
    frontier: dict[NodeKey, bytes]


@dataclass(frozen=True)
class Leaf:
    index: int
    position: int
    hash: bytes


class MerkleTree:
    """The tree's tables in one database."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._edge: _Edge | None = None
        """The frontier this process left after its last append, for the next one."""

    def create(self) -> None:
        """The tree's table, with a tree kept in the former tables moved into it, in the one
        transaction under the creation lock that every start takes."""
        with self.tables.creating() as statements:
            for statement in DDL:
                statements.execute(statement)
            moved = self._move_former_tables(statements)
        if moved:
            log.info("tree moved into one table", table=TREE)

    def _move_former_tables(self, statements: Statements) -> bool:
        """Move a tree kept in the former tables into the one table, once, as it stands: its
        rows are copied, not computed again from the log, so that a log changed behind the
        ledger's back still disagrees with its tree. Whether it moved one."""
        if not self.tables.exists(statements, FORMER_LEAVES):
            return False
        statements.execute(f"SELECT 1 FROM {{{TREE}}} LIMIT 1")
        if statements.fetchone() is not None:
            log.warning(
                "former tree tables left as they are: the tree is kept in another table",
                tables=[FORMER_LEAVES, FORMER_NODES],
            )
            return False
        statements.execute(MOVE_LEAVES)
        if self.tables.exists(statements, FORMER_NODES):
            statements.execute(MOVE_NODES)
            statements.execute(f"DROP TABLE {{{FORMER_NODES}}}")
        statements.execute(f"DROP TABLE {{{FORMER_LEAVES}}}")
        return True

    @contextmanager
    def reading(self) -> Iterator[Statements]:
        """One read transaction: every answer in it is of the same tree."""
        with self.tables.transaction(commit=False) as statements:
            yield statements

    # Writing ---------------------------------------------------------------------------

    def append(self, statements: Statements, leaves: Sequence[tuple[int, bytes]]) -> None:
        """Append leaves ``(position, hash)``, in log order, and the nodes they complete.

        Runs in the events' own transaction (``statements`` on its cursor)."""
        if not leaves:
            return
        last = self.last_leaf(statements)
        size = 0 if last is None else last.index + 1
        created, grown = merkle.appended(
            size,
            [leaf for _, leaf in leaves],
            self._frontier(statements, size, b"" if last is None else last.hash),
        )
        self._edge = _Edge(size + len(leaves), leaves[-1][1], grown)
        positions = {size + offset: position for offset, (position, _) in enumerate(leaves)}
        # ``created`` is in the order the tree made its nodes, which is ``node_id`` order:
        # every row lands at the table's end.
        rows = [
            (node_id(level, index), index, positions[index], node)
            if level == 0
            else (node_id(level, index), None, None, node)
            for (level, index), node in created.items()
        ]
        statements.executemany(NODE_INSERT, rows)

    def _frontier(self, statements: Statements, size: int, last: bytes) -> dict[NodeKey, bytes]:
        """The tree's right edge: as this process left it, if the tree still ends with the
        leaf it appended last (a write of another process, or a rolled-back one, ends it
        otherwise), else as stored."""
        edge = self._edge
        if edge is not None and edge.size == size and edge.last == last:
            return edge.frontier
        return self.nodes(statements, merkle.frontier_keys(size))

    # Reading ---------------------------------------------------------------------------

    def size(self, statements: Statements) -> int:
        """The number of leaves: the tree size of the whole log."""
        last = self.last_leaf(statements)
        return 0 if last is None else last.index + 1

    def last_leaf(self, statements: Statements) -> Leaf | None:
        """The tree's last leaf."""
        statements.execute(LAST_LEAF)
        row = statements.fetchone()
        return None if row is None else _leaf(row)

    def size_at(self, statements: Statements, position: int) -> int:
        """The tree size of the log up to ``position`` (the leaves at or before it)."""
        statements.execute(SIZE_AT, (position,))
        row = statements.fetchone()
        return 0 if row is None else int(row["leaf_index"]) + 1

    def leaf_at(self, statements: Statements, position: int) -> tuple[int, bytes] | None:
        """The leaf index and hash of the event at ``position``."""
        statements.execute(LEAF_AT, (position,))
        row = statements.fetchone()
        return None if row is None else (int(row["leaf_index"]), bytes(row["hash"]))

    def leaves(self, statements: Statements, start: int, limit: int) -> list[Leaf]:
        """Up to ``limit`` leaves from index ``start``, in order."""
        statements.execute(LEAVES_FROM, (node_id(0, start), limit))
        return [_leaf(row) for row in statements.fetchall()]

    def leaves_between(self, first: int, last: int) -> dict[int, Leaf]:
        """The leaves of the events at positions ``first`` to ``last``, by position."""
        with self.reading() as statements:
            statements.execute(LEAVES_BETWEEN, (first, last))
            rows = statements.fetchall()
        return {int(row["position"]): _leaf(row) for row in rows}

    def nodes(self, statements: Statements, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored hashes of ``keys``, in one statement; keys not stored are left out."""
        wanted = {node_id(*key): key for key in set(keys)}
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        statements.execute(
            f"SELECT node_id, hash FROM {{{TREE}}} WHERE node_id IN ({marks})", sorted(wanted)
        )
        return {wanted[int(row["node_id"])]: bytes(row["hash"]) for row in statements.fetchall()}

    def root(self, statements: Statements, size: int) -> bytes:
        """The tree head at ``size``, from O(log n) stored nodes."""
        return merkle.root(size, self.complete(statements, merkle.root_keys(size)))

    def complete(self, statements: Statements, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored hashes of ``keys``; ``MissingNodes`` if the tree lacks any."""
        found = self.nodes(statements, keys)
        missing = [key for key in keys if key not in found]
        if missing:
            raise MissingNodes(missing)
        return found


def _leaf(row: Row) -> Leaf:
    return Leaf(int(row["leaf_index"]), int(row["position"]), bytes(row["hash"]))


class MissingNodes(LookupError):
    """The tree lacks nodes it must have: its tables were changed or cut short."""

    def __init__(self, keys: Sequence[NodeKey]) -> None:
        super().__init__(f"the Merkle tree lacks {len(keys)} stored node(s), e.g. {keys[0]}")
        self.keys = tuple(keys)
