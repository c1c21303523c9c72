"""How each store's recorder keeps the tree in the transaction of the events.

Before the transaction, ``with_entries`` prepares each event's entry (the costly canonical
JSON, see ``application.proofs.entries``) and hands them down with the save's keywords;
inside it, once the store has given the events their positions, ``append_leaves`` hashes
them and appends them to the tree. A ledger whose log was written before it had a tree gets
one on first start (``build_from_log``), from the stored records, under the writers' lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import structlog
from eventsourcing.persistence import StoredEvent

from application.proofs.entries import Prepared, prepare
from application.proofs.stored_log import BEFORE_ANY, SQLStoredLog, checked
from application.proofs.tree import MerkleTree
from application.tables import Statements, Tables

log_ = structlog.get_logger("merkle")
ENTRIES = "merkle_entries"
BUILD_PAGE = 2000


def with_entries(kwargs: dict[str, Any], stored_events: Sequence[StoredEvent]) -> dict[str, Any]:
    """The save's keywords with the entries of its events, prepared outside the transaction."""
    entries = [
        prepare(event.originator_id, event.originator_version, event.topic, event.state)
        for event in stored_events
    ]
    return {**kwargs, ENTRIES: entries}


def append_leaves(
    tree: MerkleTree, statements: Statements, kwargs: dict[str, Any], ids: Sequence[int]
) -> None:
    """Append the leaves of the events the transaction stored at ``ids`` (the first events
    of the save, in order: those of a refused write and after it are not stored)."""
    entries: list[Prepared] = kwargs[ENTRIES]
    tree.append(
        statements,
        [(position, entry.leaf(position)) for position, entry in zip(ids, entries, strict=False)],
    )


class KeepsTree(Protocol):
    merkle: MerkleTree


def give_tree(
    recorder: KeepsTree, tables: Tables, stored_log: Callable[[Any], SQLStoredLog]
) -> None:
    """Give a store's new recorder its tree, on the store's tables, built from the log if the
    log was written before the ledger kept one."""
    recorder.merkle = MerkleTree(tables)
    recorder.merkle.create()
    build_from_log(recorder.merkle, stored_log(recorder))


def build_from_log(tree: MerkleTree, log: SQLStoredLog) -> int:
    """Give a tree to a log written before the ledger kept one; the leaves added.

    Only an empty tree is built: a tree that exists is never extended from the log, or an
    event slipped into the database behind the ledger's back would be taken into it."""
    with tree.reading() as statements:
        if tree.last_leaf(statements) is not None or not log.records_in(statements, BEFORE_ANY, 1):
            return 0  # Every start but the first after an upgrade: no lock taken.
    with tree.tables.transaction(commit=True) as statements:
        log.lock(statements)
        if tree.last_leaf(statements) is not None:
            return 0
        added, after = 0, BEFORE_ANY
        while page := log.records_in(statements, after, BUILD_PAGE):
            tree.append(
                statements, [(record.position, checked(record, log).leaf()) for record in page]
            )
            added += len(page)
            after = page[-1].position
    # Loud: the tree now vouches for the log as it stands, which only checkpoints saved
    # before can contradict.
    log_.warning("merkle_tree_built_from_log", events=added)
    return added
