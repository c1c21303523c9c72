"""What an auditor asks of the tree: signed checkpoints, inclusion and consistency proofs.

Answers use RFC 9162's names (``leaf_index``, ``tree_size``, ``inclusion_path``,
``tree_size_1``, ``tree_size_2``, ``consistency_path``) and C2SP's checkpoint text, so that
tools written for transparency logs check the ledger unchanged. Each answer reads its nodes
in one read transaction of the tree, so every hash in it is of the same tree.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from application.log_positions import LogPositions
from application.proofs import merkle
from application.proofs.checkpoints import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    signed_checkpoint,
)
from application.proofs.signed_note import NoteError, NoteSigner
from application.proofs.stored_log import StoredLog
from application.proofs.tree import MerkleTree
from application.proofs.verification import Progress, Report, b64, verify
from application.tables import Statements
from domain.errors import EventNotFound, InvalidValue
from domain.ids import event_id, parse_event_id


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    note: str
    """The checkpoint as a C2SP signed note."""
    position: int
    """The log position of the tree's last leaf (0 for the empty tree)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.checkpoint.origin,
            "tree_size": self.checkpoint.tree_size,
            "root_hash": b64(self.checkpoint.root_hash),
            "position": self.position,
            "checkpoint": self.note,
        }


class Proofs:
    """The tree's answers, signed with the ledger's key."""

    def __init__(
        self,
        tree: MerkleTree,
        log: StoredLog,
        positions: LogPositions,
        signer: Callable[[], NoteSigner],
    ) -> None:
        self.tree = tree
        self.log = log
        self.positions = positions
        self._signer = signer

    @functools.cached_property
    def signer(self) -> NoteSigner:
        """The ledger's signing key, made when first needed if the ledger has none."""
        return self._signer()

    @property
    def origin(self) -> str:
        return self.signer.name

    def public_key(self) -> dict[str, Any]:
        raw = self.signer.public_key_bytes
        return {
            "origin": self.origin,
            "algorithm": "Ed25519",
            "key_name": self.signer.name,
            "key_id": self.signer.key_id.hex(),
            "public_key": b64(raw),
            "verifier_key": self.signer.vkey,
        }

    def checkpoint(
        self, tree_size: int | None = None, position: int | None = None
    ) -> SignedCheckpoint:
        """The signed checkpoint of the tree at ``tree_size``, or of the log up to
        ``position``, or of the whole log."""
        if tree_size is not None and position is not None:
            raise InvalidValue("give tree_size or position, not both")
        with self.tree.reading() as statements:
            size = self._size(statements, tree_size, position)
            root = self.tree.root(statements, size)
            last = self._position_of_leaf(statements, size - 1) if size else 0
        checkpoint = Checkpoint(self.origin, size, root)
        return SignedCheckpoint(checkpoint, signed_checkpoint(checkpoint, self.signer), last)

    def inclusion(self, event: str, tree_size: int | None = None) -> dict[str, Any]:
        """The audit path of an event's leaf in the tree of ``tree_size`` leaves."""
        subject_id, version = parse_event_id(event)
        position = self.positions.of(subject_id).get(version)
        if position is None:
            raise EventNotFound(f"no event has the id {event!r}")
        with self.tree.reading() as statements:
            found = self.tree.leaf_at(statements, position)
            if found is None:
                raise EventNotFound(f"the event {event!r} has no leaf in the tree")
            index, leaf = found
            size = self._size(statements, tree_size, None)
            if index >= size:
                raise InvalidValue(
                    f"the event {event!r} is leaf {index}: it is in trees of {index + 1} "
                    f"leaves or more, not in one of {size}"
                )
            keys = merkle.inclusion_keys(index, size)
            path = merkle.inclusion_proof(index, size, self.tree.complete(statements, keys))
            root = self.tree.root(statements, size)
        return {
            "event_id": event_id(subject_id, version),
            "position": position,
            "leaf_index": index,
            "leaf_hash": b64(leaf),
            "tree_size": size,
            "inclusion_path": [b64(node) for node in path],
            "root_hash": b64(root),
        }

    def consistency(self, first: int, second: int | None = None) -> dict[str, Any]:
        """The proof that the tree of ``first`` leaves is a prefix of the one of ``second``."""
        with self.tree.reading() as statements:
            second = self._size(statements, second, None)
            if first > second:
                raise InvalidValue(f"first ({first}) must not be larger than second ({second})")
            keys = merkle.consistency_keys(first, second)
            path = merkle.consistency_proof(first, second, self.tree.complete(statements, keys))
            first_root = self.tree.root(statements, first)
            second_root = self.tree.root(statements, second)
        return {
            "tree_size_1": first,
            "tree_size_2": second,
            "consistency_path": [b64(node) for node in path],
            "root_hash_1": b64(first_root),
            "root_hash_2": b64(second_root),
        }

    def opened(self, note: str) -> Checkpoint:
        """A checkpoint saved earlier, if this ledger's key signed it for this log: the
        signed note itself, or the JSON answer of ``GET /v1/ledger/checkpoint`` holding it."""
        note = _note_of(note)
        try:
            return open_checkpoint(note, self.signer.verifier, self.origin)
        except (NoteError, CheckpointError) as error:
            raise InvalidValue(f"not a checkpoint this ledger signed: {error}") from None

    def verify(self, note: str | None = None, progress: Progress = lambda _: None) -> Report:
        """The full check of the log and its tree (``application.proofs.verification``),
        and of a checkpoint saved earlier if given."""
        checkpoint = None if note is None else self.opened(note)
        return verify(self.log, self.tree, checkpoint, progress)

    def _size(self, statements: Statements, tree_size: int | None, position: int | None) -> int:
        """The tree size asked for, checked against the tree as it stands."""
        current = self.tree.size(statements)
        if position is not None:
            return self.tree.size_at(statements, position)
        if tree_size is None:
            return current
        if tree_size > current:
            raise InvalidValue(f"the tree has {current} leaves: no tree of {tree_size} yet")
        return tree_size

    def _position_of_leaf(self, statements: Statements, index: int) -> int:
        leaves = self.tree.leaves(statements, index, 1)
        return leaves[0].position if leaves else 0


def _note_of(saved: str) -> str:
    """The signed note in a saved checkpoint, saved as the note or as the JSON answer."""
    if not saved.lstrip().startswith("{"):
        return saved
    try:
        document = json.loads(saved)
    except ValueError as error:
        raise InvalidValue(f"the saved checkpoint is neither a note nor JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), str):
        raise InvalidValue("the saved checkpoint's JSON has no 'checkpoint' text")
    return str(document["checkpoint"])
