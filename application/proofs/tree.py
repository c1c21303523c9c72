"""The ledger's Merkle tree, kept in the same transaction as the events it covers.

Two tables beside the events: every leaf (its index, the position of its event, its hash)
and every node that roots a complete aligned subtree (``application.proofs.merkle``). A
write appends its events' leaves and the nodes they complete inside the transaction that
stores the events, after the store has given them their positions and while it still holds
the lock that orders writers (SQLite's one writer; PostgreSQL's table lock). So the tree can
never skip, reorder or lag an event: any position a read names already has its tree, and a
write whose tree cannot be stored is not stored either.

Appending reads only the right edge of the tree (one node per set bit of its size); a root
at any size or a proof reads O(log n) nodes in one statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from application.proofs import merkle
from application.proofs.merkle import NodeKey
from application.tables import Row, Statements, Tables

LEAVES = "ledger_merkle_leaves"
NODES = "ledger_merkle_nodes"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {{{LEAVES}}} ("
    "leaf_index {BIGINT} PRIMARY KEY, position {BIGINT} NOT NULL UNIQUE, hash {BLOB} NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {{{NODES}}} ("
    "level INTEGER NOT NULL, node_index {BIGINT} NOT NULL, hash {BLOB} NOT NULL, "
    "PRIMARY KEY (level, node_index)){CLUSTERED}",
)
LEAF_INSERT = f"INSERT INTO {{{LEAVES}}} (leaf_index, position, hash) VALUES (?, ?, ?)"
NODE_INSERT = f"INSERT INTO {{{NODES}}} (level, node_index, hash) VALUES (?, ?, ?)"
LAST_LEAF = f"SELECT leaf_index, position, hash FROM {{{LEAVES}}} ORDER BY leaf_index DESC LIMIT 1"
LEAF_AT = f"SELECT leaf_index, hash FROM {{{LEAVES}}} WHERE position = ?"
SIZE_AT = f"SELECT leaf_index FROM {{{LEAVES}}} WHERE position <= ? ORDER BY position DESC LIMIT 1"
LEAVES_BETWEEN = (
    f"SELECT leaf_index, position, hash FROM {{{LEAVES}}} WHERE position >= ? AND position <= ? "
    "ORDER BY position"
)
LEAVES_FROM = (
    f"SELECT leaf_index, position, hash FROM {{{LEAVES}}} WHERE leaf_index >= ? "
    "ORDER BY leaf_index LIMIT ?"
)


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
        self.tables.create(DDL)

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
        statements.executemany(
            LEAF_INSERT,
            [(size + offset, position, leaf) for offset, (position, leaf) in enumerate(leaves)],
        )
        statements.executemany(
            NODE_INSERT,
            [(level, index, node) for (level, index), node in created.items() if level > 0],
        )

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
        statements.execute(LEAVES_FROM, (start, limit))
        return [_leaf(row) for row in statements.fetchall()]

    def leaves_between(self, first: int, last: int) -> dict[int, Leaf]:
        """The leaves of the events at positions ``first`` to ``last``, by position."""
        with self.reading() as statements:
            statements.execute(LEAVES_BETWEEN, (first, last))
            rows = statements.fetchall()
        return {int(row["position"]): _leaf(row) for row in rows}

    def nodes(self, statements: Statements, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        """The stored hashes of ``keys``, in one statement; keys not stored are left out."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        leaves = [index for level, index in wanted if level == 0]
        inner = [(level, index) for level, index in wanted if level > 0]
        parts, params = [], []
        if leaves:
            marks = ",".join("?" * len(leaves))
            parts.append(
                f"SELECT 0 AS level, leaf_index AS node_index, hash FROM {{{LEAVES}}} "
                f"WHERE leaf_index IN ({marks})"
            )
            params.extend(leaves)
        if inner:
            ors = " OR ".join("(level = ? AND node_index = ?)" for _ in inner)
            parts.append(f"SELECT level, node_index, hash FROM {{{NODES}}} WHERE {ors}")
            params.extend(value for key in inner for value in key)
        statements.execute(" UNION ALL ".join(parts), params)
        return {
            (int(row["level"]), int(row["node_index"])): bytes(row["hash"])
            for row in statements.fetchall()
        }

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
