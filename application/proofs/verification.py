"""The auditor's full check: every stored event against its leaf, the tree against its
leaves, and a checkpoint saved earlier against the log as it is today.

Nothing stored is trusted: each event is read raw (``application.proofs.stored_log``), must
be exactly as the ledger writes events, and its leaf is recomputed from it. Events and
leaves are walked together in position order, so that an event changed, deleted, inserted,
duplicated or moved shows as a problem at its position. The tree's root is recomputed from
the stored leaves and compared with the root its stored nodes give; a saved checkpoint is
compared with the root of the events recomputed up to its size, and its signature checked.

The walk covers the tree as it stood when the check began; events recorded while it runs
are checked only for having their leaf (the ledger writes both in one transaction, so a
legitimate event always has one).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from application.proofs import merkle
from application.proofs.checkpoints import Checkpoint
from application.proofs.entries import EntryError
from application.proofs.stored_log import BEFORE_ANY, StoredLog, StoredRecord, checked
from application.proofs.tree import Leaf, MerkleTree, MissingNodes

PAGE = 2000
MAX_LISTED = 100
Progress = Callable[[int], None]
"""Told how many more events were checked."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Problem:
    position: int | None
    detail: str


@dataclass
class Report:
    events: int = 0
    tree_size: int = 0
    root_hash: bytes = merkle.EMPTY_ROOT
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    checkpoint: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first_bad_position(self) -> int | None:
        positions = [p.position for p in self.problems if p.position is not None]
        return min(positions) if positions else None

    def add(self, position: int | None, detail: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(position, detail))

    def as_json(self) -> dict[str, Any]:
        return {
            "verified": self.ok,
            "events": self.events,
            "tree_size": self.tree_size,
            "root_hash": b64(self.root_hash),
            "first_bad_position": self.first_bad_position,
            "problem_count": self.problem_count,
            "problems": [{"position": p.position, "detail": p.detail} for p in self.problems],
            "checkpoint": self.checkpoint,
        }


class _Walk:
    """One pass over the events and the leaves."""

    def __init__(self, log: StoredLog, tree: MerkleTree, checkpoint: Checkpoint | None) -> None:
        self.log = log
        self.tree = tree
        self.checkpoint = checkpoint
        self.report = Report()
        self.from_events = merkle.TreeBuilder()
        self.from_leaves = merkle.TreeBuilder()
        self.checkpoint_root: bytes | None = None if checkpoint else merkle.EMPTY_ROOT
        if checkpoint is not None and checkpoint.tree_size == 0:
            self.checkpoint_root = merkle.EMPTY_ROOT

    def run(self, progress: Progress) -> Report:
        with self.tree.reading() as statements:
            last = self.tree.last_leaf(statements)
        end = 0 if last is None else last.position
        events, leaves = self._records(end), self._leaves(end)
        event, leaf = next(events, None), next(leaves, None)
        checked_count = 0
        while event is not None or leaf is not None:
            if leaf is None or (event is not None and event.position < leaf.position):
                assert event is not None
                self._extra(event)
                event = next(events, None)
            elif event is None or leaf.position < event.position:
                self._missing(leaf)
                leaf = next(leaves, None)
            else:
                self._pair(event, leaf)
                event, leaf = next(events, None), next(leaves, None)
            checked_count += 1
            if checked_count % PAGE == 0:
                progress(PAGE)
        progress(checked_count % PAGE)
        self._tail(end)
        self._tree()
        self._checkpoint()
        return self.report

    # The walk ---------------------------------------------------------------------------

    def _records(self, end: int) -> Iterator[StoredRecord]:
        after = BEFORE_ANY
        while page := self.log.records(after, PAGE):
            for record in page:
                if record.position > end:
                    return
                yield record
            after = page[-1].position

    def _leaves(self, end: int) -> Iterator[Leaf]:
        start = 0
        while True:
            with self.tree.reading() as statements:
                page = self.tree.leaves(statements, start, PAGE)
            for leaf in page:
                if leaf.position > end:
                    return
                if leaf.index != start:
                    self.report.add(leaf.position, f"the tree's leaf {start} is missing")
                start = leaf.index + 1
                yield leaf
            if len(page) < PAGE:
                return

    def _pair(self, record: StoredRecord, leaf: Leaf) -> None:
        self.report.events += 1
        self._keep_leaf(leaf.hash)
        recomputed = self._leaf_of(record)
        if recomputed is None:
            self._keep_event(b"")
            return
        self._keep_event(recomputed)
        if recomputed != leaf.hash:
            self.report.add(
                record.position,
                "the event is not the one recorded at this position (its leaf differs)",
            )

    def _extra(self, record: StoredRecord) -> None:
        self.report.events += 1
        self._keep_event(self._leaf_of(record) or b"")
        self.report.add(
            record.position, "an event the tree does not hold: not recorded by the ledger"
        )

    def _missing(self, leaf: Leaf) -> None:
        self._keep_leaf(leaf.hash)
        self._keep_event(b"")
        self.report.add(leaf.position, "the event recorded at this position is gone")

    def _leaf_of(self, record: StoredRecord) -> bytes | None:
        try:
            return checked(record, self.log).leaf()
        except EntryError as error:
            self.report.add(record.position, str(error))
            return None

    def _keep_event(self, leaf: bytes) -> None:
        """Add a leaf recomputed from the log (empty where the log has none) and keep the
        root at the checkpoint's size."""
        self.from_events.add(leaf)
        if self.checkpoint is not None and self.from_events.size == self.checkpoint.tree_size:
            self.checkpoint_root = self.from_events.root()

    def _keep_leaf(self, leaf: bytes) -> None:
        self.from_leaves.add(leaf)

    # After the walk ---------------------------------------------------------------------

    def _tail(self, end: int) -> None:
        """Events recorded after the walk began: each must have its leaf."""
        after = end
        while page := self.log.records(after, PAGE):
            with self.tree.reading() as statements:
                for record in page:
                    found = self.tree.leaf_at(statements, record.position)
                    recomputed = self._leaf_of(record)
                    if found is None or found[1] != recomputed:
                        self.report.add(
                            record.position,
                            "an event the tree does not hold: not recorded by the ledger",
                        )
            after = page[-1].position

    def _tree(self) -> None:
        """The stored nodes must give the root of the stored leaves."""
        size = self.from_leaves.size
        self.report.tree_size = size
        self.report.root_hash = self.from_events.root()
        try:
            with self.tree.reading() as statements:
                stored_root = self.tree.root(statements, size)
        except MissingNodes as error:
            self.report.add(None, str(error))
            return
        if stored_root != self.from_leaves.root():
            self.report.add(None, "the tree's stored nodes do not match its leaves")

    def _checkpoint(self) -> None:
        checkpoint = self.checkpoint
        if checkpoint is None:
            return
        consistent = self.checkpoint_root == checkpoint.root_hash
        if self.checkpoint_root is None:
            detail = (
                f"the checkpoint covers {checkpoint.tree_size} events, the log has only "
                f"{self.from_events.size}: the log was cut short"
            )
        elif not consistent:
            detail = (
                f"the log's first {checkpoint.tree_size} events are not those the "
                "checkpoint signed: history was rewritten"
            )
        else:
            detail = f"the log's first {checkpoint.tree_size} events are those it signed"
        if not consistent:
            self.report.add(None, detail)
        self.report.checkpoint = {
            "tree_size": checkpoint.tree_size,
            "root_hash": b64(checkpoint.root_hash),
            "consistent": consistent,
            "detail": detail,
        }


def verify(
    log: StoredLog,
    tree: MerkleTree,
    checkpoint: Checkpoint | None = None,
    progress: Progress = lambda _: None,
) -> Report:
    """Check the whole log and its tree, and a checkpoint saved earlier if given."""
    return _Walk(log, tree, checkpoint).run(progress)
