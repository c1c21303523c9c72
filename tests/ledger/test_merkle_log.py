"""The tree the ledger keeps beside its log is the tree of the log, and of nothing else.

Writers in several threads and two ledgers on one database must still leave a tree equal to
one recomputed here from the raw events table. A log from before the tree gets its tree on
the next start; a log that has a tree never takes into it an event written behind the
ledger's back.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
import rfc8785

from application.bootstrap import Services, bootstrap
from application.commands import (
    AmendProfile,
    Citation,
    ImposeMeasure,
    RecordAction,
    RegisterSubject,
)
from application.demo.founding_example import load_founding_example
from application.settings import Settings
from domain.values import Actor, Authority, MeasureKind, Name, Profile, Source, SubjectKind
from tests.conftest import FILE_STORES
from tests.support import merkle_rows
from tests.support.merkle_rows import TreeRows

pytestmark = pytest.mark.parametrize("store_kind", FILE_STORES)

OPERATOR = Actor("k1", "operator")
SOURCE = Source(Authority.US_OFAC, "merkle log tests")
WRITES = 30
EVENTS_PER_WRITER = 6 * 1 + 8 * 2 + 8 * 3 + 8 * 1
"""Of a writer's 30 writes: 6 amend the shared profile, 8 register with one measure, 8 with
two, 8 with none."""


@contextmanager
def opened(database_url: str) -> Iterator[Services]:
    services = bootstrap(Settings(database_url=database_url))
    try:
        yield services
    finally:
        services.close()


def events_table(services: Services) -> tuple[str, str]:
    """The events' table as SQL names it, and its position column."""
    recorder: Any = services.ledger.recorder
    if services.ledger.store.name == "postgres":
        return f'"{recorder.datastore.schema}".{recorder.events_table_name}', "notification_id"
    return str(recorder.events_table_name), "rowid"


def raw_events(services: Services) -> list[tuple[int, UUID, int, str, bytes]]:
    """Every stored event as the database holds it, in position order."""
    table, position = events_table(services)
    with services.ledger.merkle.tables.transaction(commit=False) as statements:
        statements.execute(
            f"SELECT {position} AS position, originator_id, originator_version, topic, state "
            f"FROM {table} ORDER BY {position}"
        )
        rows = statements.fetchall()
    return [
        (
            int(row["position"]),
            row["originator_id"]
            if isinstance(row["originator_id"], UUID)
            else UUID(hex=row["originator_id"]),
            int(row["originator_version"]),
            str(row["topic"]),
            bytes(row["state"]),
        )
        for row in rows
    ]


def leaf_of(position: int, originator_id: UUID, version: int, topic: str, state: bytes) -> bytes:
    """The leaf of an event by the rule the ledger publishes: SHA-256 of 0x00 and the RFC 8785
    canonical JSON of its entry."""
    parsed = json.loads(state)
    entry = {
        "originator_id": str(originator_id),
        "originator_version": version,
        "position": position,
        "recorded_at": parsed["timestamp"]["_data_"],
        "state": parsed,
        "topic": topic,
    }
    return hashlib.sha256(b"\x00" + rfc8785.dumps(entry)).digest()


def subtree(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162's MTH of the given leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    if not leaves:
        return hashlib.sha256(b"").digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + subtree(leaves[:split]) + subtree(leaves[split:])).digest()


def tree_rows(services: Services) -> TreeRows:
    return merkle_rows.tree_rows(services.ledger.merkle.tables)


def recomputed_tree(services: Services) -> TreeRows:
    """The tree's two tables as they must be for the raw events table: a leaf per event in
    position order, and every complete aligned subtree of two leaves or more."""
    events = raw_events(services)
    hashes = [leaf_of(*event) for event in events]
    leaves = [
        (index, event[0], leaf)
        for index, (event, leaf) in enumerate(zip(events, hashes, strict=True))
    ]
    nodes = [
        (level, index, subtree(hashes[index << level : (index + 1) << level]))
        for level in range(1, len(hashes).bit_length())
        for index in range(len(hashes) >> level)
    ]
    return leaves, nodes


def signed_root(services: Services) -> tuple[int, bytes]:
    checkpoint = services.proofs.checkpoint().checkpoint
    return checkpoint.tree_size, checkpoint.root_hash


def impose(authority: Authority, at: datetime) -> ImposeMeasure:
    return ImposeMeasure(
        subject="s",
        kind=MeasureKind.DESIGNATION,
        authority=authority,
        programs=("GLOMAG",),
        effective_from=at,
    )


def writer(
    services: Services, name: str, shared: UUID, writes: int, errors: list[BaseException]
) -> None:
    """A subject per write, with measures on it now and then, and now and then a new profile
    for the subject every writer changes: writes of one to three events, and writers that
    meet on one stream and write again."""
    try:
        for number in range(writes):
            profile = Profile(names=(Name(f"{name} {number}"),))
            if number % 5 == 4:
                amend = AmendProfile(shared, profile, citation=Citation(SOURCE))
                services.ledger.execute(amend, OPERATOR)
                continue
            register = RegisterSubject(kind=SubjectKind.PERSON, profile=profile, key="s")
            items: tuple[Any, ...] = (register,)
            at = services.ledger.clock()
            if number % 3 == 0:
                items = (register, impose(Authority.US_OFAC, at))
            if number % 3 == 1:
                items = (register, impose(Authority.US_OFAC, at), impose(Authority.UK, at))
            services.ledger.execute(RecordAction(items, Citation(source=SOURCE)), OPERATOR)
    except BaseException as error:  # reported by the test, not lost in the thread
        errors.append(error)


def test_the_tree_after_concurrent_writers_is_the_tree_of_the_raw_log(database_url: str) -> None:
    errors: list[BaseException] = []
    with opened(database_url) as one, opened(database_url) as other:
        profile = Profile(names=(Name("SHARED"),))
        shared = one.ledger.execute(
            RegisterSubject(SubjectKind.PERSON, profile, citation=Citation(SOURCE)), OPERATOR
        ).subject_ids[0]
        threads = [
            threading.Thread(target=writer, args=(services, f"W{n}", shared, WRITES, errors))
            for n, services in enumerate([one, other] * 4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        leaves, nodes = tree_rows(one)
        expected_leaves, expected_nodes = recomputed_tree(one)
        assert len(leaves) == len(raw_events(one)) == 1 + 8 * EVENTS_PER_WRITER
        assert one.ledger.subject(shared).version == 1 + 8 * 6
        assert leaves == expected_leaves
        assert nodes == expected_nodes
        size, root = signed_root(other)
        assert (size, root) == (len(leaves), subtree([leaf for _, _, leaf in leaves]))
        assert one.proofs.verify().ok


def drop_tree(services: Services) -> None:
    with services.ledger.merkle.tables.transaction(commit=True) as statements:
        statements.execute("DROP TABLE {ledger_merkle_tree}")


def test_a_log_written_before_the_tree_gets_its_tree_on_the_next_start(
    database_url: str,
) -> None:
    with opened(database_url) as services:
        load_founding_example(services.ledger, OPERATOR)
        for name in ("ALPHA", "BRAVO", "CHARLIE"):
            profile = Profile(names=(Name(name),))
            services.ledger.execute(
                RegisterSubject(SubjectKind.PERSON, profile, citation=Citation(SOURCE)), OPERATOR
            )
        before, root_before = tree_rows(services), signed_root(services)
        drop_tree(services)
    with opened(database_url) as services:
        assert tree_rows(services) == before == recomputed_tree(services)
        assert signed_root(services) == root_before
        assert root_before[0] == 86
        report = services.proofs.verify()
        assert report.ok and report.root_hash == root_before[1]


def insert_behind_the_ledgers_back(services: Services) -> int:
    """A copy of the last event as the next version of its stream, straight into the table;
    the position the database gave it."""
    table, position = events_table(services)
    *_, (_, originator_id, version, topic, state) = raw_events(services)
    stored_id: Any = (
        originator_id if services.ledger.store.name == "postgres" else originator_id.hex
    )
    with services.ledger.merkle.tables.transaction(commit=True) as statements:
        statements.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            [stored_id, version + 1, topic, state],
        )
        statements.execute(f"SELECT MAX({position}) AS last FROM {table}")
        row = statements.fetchone()
    assert row is not None
    return int(row["last"])


def test_a_tree_is_never_extended_from_events_inserted_behind_the_ledgers_back(
    database_url: str,
) -> None:
    with opened(database_url) as services:
        load_founding_example(services.ledger, OPERATOR)
        before, root_before = tree_rows(services), signed_root(services)
        inserted = insert_behind_the_ledgers_back(services)
    with opened(database_url) as services:
        assert tree_rows(services) == before
        assert signed_root(services) == root_before
        report = services.proofs.verify()
        assert not report.ok
        assert report.first_bad_position == inserted
        profile = Profile(names=(Name("DELTA"),))
        services.ledger.execute(
            RegisterSubject(SubjectKind.PERSON, profile, citation=Citation(SOURCE)), OPERATOR
        )
        leaves, _ = tree_rows(services)
        assert len(leaves) == len(before[0]) + 1
        assert inserted not in {position for _, position, _ in leaves}
        assert [problem.position for problem in services.proofs.verify().problems] == [inserted]
