"""Checkpoints of a transparency log (https://c2sp.org/tlog-checkpoint).

A checkpoint says "the log called <origin> had <tree size> entries, and the Merkle root of
them was <root hash>", in a signed note whose text is exactly::

    <origin>
    <tree size in decimal, no leading zeros>
    <base64 of the 32-byte root hash>

The format is the one witnesses and monitors of transparency logs already read, so a
checkpoint of the ledger can be cosigned and checked by them as it is. Extension lines after
the root hash are allowed by the spec but not recommended (monitors cannot audit them): they
are never written here, and accepted but dropped when reading (they are signed all the same).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from application.proofs.signed_note import (
    NoteSigner,
    NoteVerifier,
    decode_base64,
    open_note,
)

HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
"""Go readers parse the size as an unsigned 64-bit number; a larger one would not be read."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


class CheckpointError(ValueError):
    """A checkpoint is malformed, or is not the one that was expected."""


@dataclass(frozen=True)
class Checkpoint:
    """The size and Merkle root of a log at one moment, under the log's name."""

    origin: str
    tree_size: int
    root_hash: bytes

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        _check_tree_size(self.tree_size)
        _check_root_hash(self.root_hash)

    def body(self) -> str:
        """The note text to sign: origin, size and root, each on its own line."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return f"{self.origin}\n{self.tree_size}\n{root}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Read a checkpoint's note text; CheckpointError says what is wrong with it."""
        if not body.endswith("\n"):
            raise CheckpointError("a checkpoint's last line must end in a newline")
        control = _CONTROL.search(body)
        if control is not None:
            raise CheckpointError(
                f"a checkpoint contains the control character {control.group()!r}"
            )
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError(
                f"a checkpoint has at least three lines (origin, tree size, root hash), "
                f"got {len(lines)}"
            )
        origin, size, root, *extensions = lines
        _check_extensions(extensions)
        return cls(origin, _parse_tree_size(size), _parse_root_hash(root))


def _check_origin(origin: str) -> None:
    if not origin:
        raise CheckpointError("a checkpoint's origin must not be empty")
    if "\n" in origin or _CONTROL.search(origin):
        raise CheckpointError(f"the origin {origin!r} must be one line without control characters")


def _check_tree_size(tree_size: int) -> None:
    # bool is an int to Python, but True is no tree size.
    if isinstance(tree_size, bool) or not isinstance(tree_size, int):
        raise CheckpointError(f"a tree size is an integer, got {tree_size!r}")
    if not 0 <= tree_size <= MAX_TREE_SIZE:
        raise CheckpointError(f"a tree size lies between 0 and 2**64 - 1, got {tree_size}")


def _check_root_hash(root_hash: bytes) -> None:
    if not isinstance(root_hash, bytes) or len(root_hash) != HASH_SIZE:
        raise CheckpointError(f"a root hash has {HASH_SIZE} bytes, got {root_hash!r}")


def _check_extensions(extensions: list[str]) -> None:
    for number, line in enumerate(extensions, start=4):
        if not line:
            raise CheckpointError(f"line {number} of the checkpoint (an extension) is empty")


def _parse_tree_size(text: str) -> int:
    if not _DECIMAL.fullmatch(text):
        if re.fullmatch(r"0[0-9]+", text):
            raise CheckpointError(f"the tree size {text!r} has leading zeros")
        raise CheckpointError(f"the tree size {text!r} is not a decimal number")
    size = int(text)
    if size > MAX_TREE_SIZE:
        raise CheckpointError(f"the tree size {text} exceeds 2**64 - 1")
    return size


def _parse_root_hash(text: str) -> bytes:
    try:
        root = decode_base64(text)
    except ValueError as error:
        raise CheckpointError(f"the root hash: {error}") from error
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"the root hash has {len(root)} bytes, not {HASH_SIZE}")
    return root


def signed_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The checkpoint as a note signed by ``signer``."""
    return signer.sign(checkpoint.body())


def open_checkpoint(text: str, verifier: NoteVerifier, origin: str | None = None) -> Checkpoint:
    """The checkpoint in a signed note, once ``verifier``'s signature of it has verified.

    NoteError if the signature does not verify; CheckpointError if the text is no
    checkpoint, or (when ``origin`` is given) the checkpoint is of another log."""
    checkpoint = Checkpoint.parse(open_note(text, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(
            f"the checkpoint is of the log {checkpoint.origin!r}, not of {origin!r}"
        )
    return checkpoint
