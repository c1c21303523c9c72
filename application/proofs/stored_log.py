"""The event records exactly as the database holds them, for the checks that trust nothing.

The library reads events through its mapper, which forgives what a check must not (an
upper-case hex digit in an id, a state whose bytes parse to the same JSON as the bytes the
ledger wrote). The verifier, the export and the tree's first build read the records raw,
each store in its own way (``application.stores``), and ``checked`` accepts only a record
the ledger could have written itself: any byte changed in it changes its entry or is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from application.proofs.entries import (
    EntryError,
    ParsedState,
    Prepared,
    entry_object,
    parse_state,
    prepare_parsed,
)
from application.tables import Statements, Tables

BEFORE_ANY = -(2**63)
"""A position before every record, even one a hand in the database put at 0 or below."""


@dataclass(frozen=True)
class StoredRecord:
    """One row of the events' table, its values as the database returned them."""

    position: int
    originator_id: Any
    originator_version: Any
    topic: Any
    state: Any


@dataclass(frozen=True)
class CheckedRecord:
    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    parsed: ParsedState | None = None

    def prepared(self) -> Prepared:
        parsed = self.parsed or parse_state(self.state)
        return prepare_parsed(self.originator_id, self.originator_version, self.topic, parsed)

    def leaf(self) -> bytes:
        return self.prepared().leaf(self.position)

    def entry_object(self) -> dict[str, Any]:
        return entry_object(
            self.position, self.originator_id, self.originator_version, self.topic, self.state
        )


class StoredLog(Protocol):
    """A store's events' table, read raw."""

    def records(self, after: int, limit: int) -> list[StoredRecord]:
        """Up to ``limit`` records after position ``after``, in position order."""
        ...

    def originator_id(self, value: Any) -> UUID:
        """The id a stored value is, if it is exactly as the store writes ids; else
        ``EntryError``."""
        ...


def checked(record: StoredRecord, log: StoredLog) -> CheckedRecord:
    """The record, if it is exactly as the ledger writes records; else ``EntryError``
    saying what is wrong with it."""
    version, topic, state = record.originator_version, record.topic, record.state
    if type(version) is not int or version < 1:
        raise EntryError(f"the stored version {version!r} is not a positive integer")
    if type(topic) is not str or not topic:
        raise EntryError("the stored topic is not text")
    if isinstance(state, memoryview):
        state = state.tobytes()
    if type(state) is not bytes:
        raise EntryError("the stored state is not bytes")
    parsed = parse_state(state)
    if parsed.escaped:
        _check_as_written(state, parsed)
    return CheckedRecord(
        record.position, log.originator_id(record.originator_id), version, topic, state, parsed
    )


def _check_as_written(state: bytes, parsed: ParsedState) -> None:
    """Refuse a state whose bytes are not those the ledger's encoder writes for their JSON:
    a byte changed where JSON does not notice is still a change. Only an escape (a hex
    digit's case) or a float (an exponent's case) has such bytes: in the ledger's compact
    JSON, any other change changes what the bytes parse to, or breaks them."""
    written = json.dumps(parsed.value, ensure_ascii=False, separators=(",", ":"))
    if written.encode() != state:
        raise EntryError("the stored state is not as the ledger wrote it")


class SQLStoredLog:
    """The events' table of a SQL store, read raw through the ledger's own tables' access."""

    def __init__(
        self,
        tables: Tables,
        table: str,
        position_column: str,
        parse_id: Callable[[Any], UUID],
        stored_id: Callable[[UUID], Any],
        lock_statement: str | None,
        after_replay: str | None = None,
    ) -> None:
        self.tables = tables
        self.select = (
            f"SELECT {position_column} AS position, originator_id, originator_version, topic, "
            f"state FROM {table} WHERE {position_column} > ? ORDER BY {position_column} LIMIT ?"
        )
        self.insert = (
            f"INSERT INTO {table} ({position_column}, originator_id, originator_version, topic, "
            "state) VALUES (?, ?, ?, ?, ?)"
        )
        self.parse_id = parse_id
        self.stored_id = stored_id
        self.lock_statement = lock_statement
        self.after_replay = after_replay

    def records(self, after: int, limit: int) -> list[StoredRecord]:
        with self.tables.transaction(commit=False) as statements:
            return self.records_in(statements, after, limit)

    def records_in(self, statements: Statements, after: int, limit: int) -> list[StoredRecord]:
        statements.execute(self.select, (after, limit))
        return [
            StoredRecord(
                int(row["position"]),
                row["originator_id"],
                row["originator_version"],
                row["topic"],
                row["state"],
            )
            for row in statements.fetchall()
        ]

    def insert_in(self, statements: Statements, records: Sequence[CheckedRecord]) -> None:
        """Store records at their own positions (a replay), as the store writes them."""
        statements.executemany(
            self.insert,
            [
                (
                    record.position,
                    self.stored_id(record.originator_id),
                    record.originator_version,
                    record.topic,
                    record.state,
                )
                for record in records
            ],
        )

    def replayed(self, statements: Statements) -> None:
        """After a replay: let the store number the next events after the replayed ones."""
        if self.after_replay is not None:
            statements.execute(self.after_replay)

    def lock(self, statements: Statements) -> None:
        """Hold off every writer of events until the transaction ends."""
        if self.lock_statement is not None:
            statements.execute(self.lock_statement)

    def originator_id(self, value: Any) -> UUID:
        return self.parse_id(value)
