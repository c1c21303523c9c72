"""The whole ledger as a file of JSON Lines, and back: export, and replay into an empty ledger.

The file is one JSON object per line:

1. a header: ``{"format": "sanctions-ledger-export", "version": 1, "origin", "verifier_key",
   "tree_size"}``;
2. one line per event, in log order: ``{"position", "leaf_index", "leaf_hash", "recorded_at",
   "effective", "transaction", "entry"}``, where ``entry`` is the event as stored (the entry
   its leaf hashes, see ``application.proofs.entries``), ``effective`` its effective times if
   it has any, and ``transaction`` the first and last positions of the write it belongs to
   when that write stored several events (so that no read of the replayed ledger stops
   inside one);
3. the signed checkpoint of the tree it ends at: ``{"checkpoint", "tree_size", "root_hash"}``.

Both directions stream, a page at a time, in constant memory. Replay checks every line's
leaf against its entry, the tree it builds against the signed checkpoint at the end, and
stores everything in one transaction: a file that does not verify is refused and leaves the
target as empty as it was. Events keep their positions, so the replayed ledger's tree, and
every read at any point, is the same as the original's. This is the way to move a ledger
from SQLite to PostgreSQL.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from uuid import UUID

from application.commits import TABLE as COMMITS
from application.proofs import merkle
from application.proofs.checkpoints import CheckpointError, open_checkpoint
from application.proofs.entries import EntryError, canonical_json
from application.proofs.service import Proofs
from application.proofs.signed_note import NoteError, NoteVerifier
from application.proofs.stored_log import (
    BEFORE_ANY,
    CheckedRecord,
    SQLStoredLog,
    StoredRecord,
    checked,
)
from application.proofs.tree import Leaf, MerkleTree
from application.proofs.verification import b64
from application.tables import Statements
from domain.errors import InvalidValue, RuleViolation

FORMAT = "sanctions-ledger-export"
VERSION = 1
PAGE = 1000
SPANS = (
    f"SELECT last_position, first_position FROM {{{COMMITS}}} "
    "WHERE last_position >= ? AND first_position <= ? ORDER BY last_position"
)
SPAN_INSERT = f"INSERT INTO {{{COMMITS}}} (last_position, first_position) VALUES (?, ?)"
Progress = Callable[[int], None]


class ReplayRefused(InvalidValue):
    """A file that is not a whole, verified export of a ledger."""


# Export ------------------------------------------------------------------------------------


def export_lines(proofs: Proofs, log: SQLStoredLog, progress: Progress) -> Iterator[str]:
    """The ledger as the export's lines, up to the tree as it stood when asked."""
    signed = proofs.checkpoint()
    size = signed.checkpoint.tree_size
    yield _line(
        {
            "format": FORMAT,
            "version": VERSION,
            "origin": proofs.origin,
            "verifier_key": proofs.signer.vkey,
            "tree_size": size,
        }
    )
    index, after = 0, BEFORE_ANY
    while index < size and (page := log.records(after, PAGE)):
        with proofs.tree.reading() as statements:
            leaves = proofs.tree.leaves(statements, index, len(page))
            spans = _spans(statements, page[0].position, page[-1].position)
        for record, leaf in zip(page, leaves, strict=False):
            if index >= size:
                break
            yield _event_line(_exported(record, log, leaf.position), leaf, spans)
            index += 1
        after = page[-1].position
        progress(len(page))
    if index != size:
        raise RuleViolation(f"the log ends before its tree's {size} leaves: run 'ledger verify'")
    yield _line(
        {
            "checkpoint": signed.note,
            "tree_size": size,
            "root_hash": b64(signed.checkpoint.root_hash),
        }
    )


def _exported(record: StoredRecord, log: SQLStoredLog, leaf_position: int) -> CheckedRecord:
    """The record, if it is the one its leaf was made of; a ledger that does not verify is
    not exported (its export could never be replayed)."""
    try:
        found = checked(record, log)
    except EntryError as error:
        raise RuleViolation(f"position {record.position}: {error}; run 'ledger verify'") from None
    if found.position != leaf_position:
        raise RuleViolation(
            f"position {found.position} does not match the tree: run 'ledger verify'"
        )
    return found


def _event_line(record: CheckedRecord, leaf: Leaf, spans: dict[int, tuple[int, int]]) -> str:
    leaf_hash = record.leaf()
    if leaf_hash != leaf.hash:
        raise RuleViolation(
            f"position {record.position} is not the event its leaf was made of: run 'ledger verify'"
        )
    entry = record.entry_object()
    span = spans.get(record.position)
    return _line(
        {
            "position": record.position,
            "leaf_index": leaf.index,
            "leaf_hash": b64(leaf_hash),
            "recorded_at": entry["recorded_at"],
            "effective": _effective(entry["state"]),
            "transaction": None if span is None else list(span),
            "entry": entry,
        }
    )


def _spans(statements: Statements, first: int, last: int) -> dict[int, tuple[int, int]]:
    """The multi-event writes that touch positions ``first`` to ``last``, by position."""
    statements.execute(SPANS, (first, last))
    by_position: dict[int, tuple[int, int]] = {}
    for row in statements.fetchall():
        span = (int(row["first_position"]), int(row["last_position"]))
        for position in range(max(span[0], first), min(span[1], last) + 1):
            by_position[position] = span
    return by_position


def _effective(state: dict[str, Any]) -> dict[str, Any] | None:
    """The event's effective times as stored (``effective_from``, ``effective_until``...)."""
    found = {
        key: value.get("_data_") if isinstance(value, dict) else value
        for key, value in state.items()
        if key.startswith("effective")
    }
    return found or None


def _line(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


# Replay ------------------------------------------------------------------------------------


class _Replay:
    """One replay into an empty ledger, inside one transaction."""

    def __init__(self, statements: Statements, log: SQLStoredLog, tree: MerkleTree) -> None:
        self.statements = statements
        self.log = log
        self.tree = tree
        self.built = merkle.TreeBuilder()
        self.pending: list[tuple[CheckedRecord, bytes]] = []
        self.spans: set[tuple[int, int]] = set()
        self.last_position = 0

    def add(self, number: int, document: dict[str, Any]) -> None:
        record, leaf = _record_of(number, document)
        if record.position <= self.last_position:
            raise ReplayRefused(f"line {number}: positions must increase")
        if document.get("leaf_index") != self.built.size:
            raise ReplayRefused(
                f"line {number}: leaf_index {document.get('leaf_index')!r} "
                f"where {self.built.size} comes next"
            )
        self.last_position = record.position
        self.built.add(leaf)
        self.pending.append((record, leaf))
        span = document.get("transaction")
        if span is not None:
            self.spans.add(_span(number, span))
        if len(self.pending) >= PAGE:
            self.flush()

    def flush(self) -> None:
        self.log.insert_in(self.statements, [record for record, _ in self.pending])
        self.tree.append(
            self.statements, [(record.position, leaf) for record, leaf in self.pending]
        )
        self.pending.clear()

    def finish(self) -> None:
        self.flush()
        self.statements.executemany(
            SPAN_INSERT, sorted((last, first) for first, last in self.spans)
        )
        self.log.replayed(self.statements)


def replay(
    lines: Iterable[str],
    log: SQLStoredLog,
    tree: MerkleTree,
    trusted: NoteVerifier | None = None,
    progress: Progress = lambda _: None,
) -> tuple[int, bytes]:
    """Load an export into this empty ledger; its tree size and root.

    The checkpoint at its end must be signed by ``trusted`` (or, if none is given, by the
    key its header names) for the origin its header names. ``ReplayRefused`` for any line
    that does not verify; then nothing is stored."""
    numbered = enumerate(lines, start=1)
    header = _header(next(numbered, (1, ""))[1])
    verifier = trusted or _verifier(header)
    with tree.tables.transaction(commit=True) as statements:
        log.lock(statements)
        if log.records_in(statements, BEFORE_ANY, 1) or tree.size(statements):
            raise RuleViolation("replay needs an empty ledger: this one has events")
        replaying = _Replay(statements, log, tree)
        for number, line in numbered:
            document = _document(number, line)
            if "checkpoint" in document:
                _check_end(number, document, replaying.built, verifier, header)
                _check_nothing_after(numbered)
                replaying.finish()
                return replaying.built.size, replaying.built.root()
            replaying.add(number, document)
            progress(1)
        # Inside the transaction: raising here rolls back everything the file stored.
        raise ReplayRefused("the file ends before its checkpoint: it was cut short")


def _header(line: str) -> dict[str, Any]:
    document = _document(1, line)
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise ReplayRefused(f"line 1: not a {FORMAT} file of version {VERSION}")
    return document


def _verifier(header: dict[str, Any]) -> NoteVerifier:
    try:
        return NoteVerifier.from_vkey(str(header.get("verifier_key")))
    except (NoteError, ValueError) as error:
        raise ReplayRefused(f"line 1: the verifier key is unreadable: {error}") from None


def _document(number: int, line: str) -> dict[str, Any]:
    try:
        document = json.loads(line)
    except ValueError as error:
        raise ReplayRefused(f"line {number}: not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ReplayRefused(f"line {number}: not a JSON object")
    return document


def _record_of(number: int, document: dict[str, Any]) -> tuple[CheckedRecord, bytes]:
    """The record a line stores, and its leaf, which must be the one the line states."""
    entry = document.get("entry")
    try:
        assert isinstance(entry, dict)
        record = CheckedRecord(
            position=_integer(entry["position"]),
            originator_id=UUID(entry["originator_id"]),
            originator_version=_integer(entry["originator_version"]),
            topic=str(entry["topic"]),
            state=json.dumps(entry["state"], ensure_ascii=False, separators=(",", ":")).encode(),
        )
        leaf = record.leaf()
        stated = base64.b64decode(str(document.get("leaf_hash")), validate=True)
    except (AssertionError, KeyError, TypeError, ValueError, binascii.Error, EntryError) as error:
        raise ReplayRefused(f"line {number}: not an event of an export: {error}") from None
    if merkle.leaf_hash(canonical_json(entry)) != leaf or stated != leaf:
        raise ReplayRefused(
            f"line {number} (position {record.position}): the event does not match its leaf hash"
        )
    if document.get("position") != record.position:
        raise ReplayRefused(f"line {number}: the position differs from the entry's")
    return record, leaf


def _integer(value: object) -> int:
    if type(value) is not int:
        raise TypeError(f"{value!r} is not an integer")
    return value


def _span(number: int, span: object) -> tuple[int, int]:
    if not (isinstance(span, list) and len(span) == 2 and all(type(p) is int for p in span)):
        raise ReplayRefused(f"line {number}: transaction must be [first, last] positions")
    return span[0], span[1]


def _check_end(
    number: int,
    document: dict[str, Any],
    built: merkle.TreeBuilder,
    verifier: NoteVerifier,
    header: dict[str, Any],
) -> None:
    """The checkpoint must be signed, and be the tree the file's events make."""
    try:
        checkpoint = open_checkpoint(str(document["checkpoint"]), verifier, header.get("origin"))
    except (NoteError, CheckpointError) as error:
        raise ReplayRefused(f"line {number}: the checkpoint does not verify: {error}") from None
    if checkpoint.tree_size != built.size or checkpoint.root_hash != built.root():
        raise ReplayRefused(
            f"line {number}: the events make a tree of {built.size} leaves and root "
            f"{b64(built.root())}, not the signed {checkpoint.tree_size} and "
            f"{b64(checkpoint.root_hash)}"
        )


def _check_nothing_after(numbered: Iterator[tuple[int, str]]) -> None:
    for number, line in numbered:
        if line.strip():
            raise ReplayRefused(f"line {number}: lines after the checkpoint")
