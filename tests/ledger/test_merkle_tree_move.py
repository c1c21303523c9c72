"""A tree kept in the two tables of earlier versions moves into the one table on the next
start, row for row, and grows from there."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from application.bootstrap import Services, bootstrap
from application.commands import Citation, RegisterSubject
from application.demo.founding_example import load_founding_example
from application.proofs import merkle
from application.settings import Settings
from domain.values import Actor, Authority, Name, Profile, Source, SubjectKind
from tests.conftest import FILE_STORES
from tests.support.merkle_rows import former_tables_left, tree_rows, write_former_tables

pytestmark = pytest.mark.parametrize("store_kind", FILE_STORES)

OPERATOR = Actor("k1", "operator")
SOURCE = Source(Authority.US_OFAC, "merkle tree move tests")


@contextmanager
def opened(database_url: str) -> Iterator[Services]:
    services = bootstrap(Settings(database_url=database_url, projections="external"))
    try:
        yield services
    finally:
        services.close()


def register(services: Services, name: str) -> str:
    """Register a subject; the id of its first event."""
    profile = Profile(names=(Name(name),))
    receipt = services.ledger.execute(
        RegisterSubject(SubjectKind.PERSON, profile, citation=Citation(SOURCE)), OPERATOR
    )
    return receipt.events[0].event_id


def proves(services: Services, event: str) -> bool:
    """Whether the event's inclusion proof in the whole tree verifies against its root."""
    found = services.proofs.inclusion(event)
    path = [base64.b64decode(node) for node in found["inclusion_path"]]
    leaf, root = (base64.b64decode(found[key]) for key in ("leaf_hash", "root_hash"))
    return merkle.verify_inclusion(found["leaf_index"], found["tree_size"], leaf, path, root)


def signed_root(services: Services) -> tuple[int, bytes]:
    checkpoint = services.proofs.checkpoint().checkpoint
    return checkpoint.tree_size, checkpoint.root_hash


def test_a_tree_in_the_former_tables_moves_row_for_row_and_grows(database_url: str) -> None:
    with opened(database_url) as services:
        load_founding_example(services.ledger, OPERATOR)
        first = [register(services, name) for name in ("ALPHA", "BRAVO", "CHARLIE")]
        tables = services.ledger.merkle.tables
        before, root_before = tree_rows(tables), signed_root(services)
        write_former_tables(tables, before)
    with opened(database_url) as services:
        tables = services.ledger.merkle.tables
        assert former_tables_left(tables) == []
        assert tree_rows(tables) == before
        assert signed_root(services) == root_before
        later = register(services, "DELTA")
        assert services.proofs.verify().ok
        assert signed_root(services)[0] == root_before[0] + 1  # a registration alone
        assert all(proves(services, event) for event in [*first, later])
        consistency = services.proofs.consistency(root_before[0])
        path = [base64.b64decode(node) for node in consistency["consistency_path"]]
        assert base64.b64decode(consistency["root_hash_1"]) == root_before[1]
        second_root = base64.b64decode(consistency["root_hash_2"])
        size_before, root = root_before
        assert merkle.verify_consistency(size_before, size_before + 1, root, second_root, path)


def test_the_move_copies_the_tree_rather_than_computing_it_again(database_url: str) -> None:
    """A tree that disagrees with its log keeps disagreeing after the move: had the tree
    been recomputed from the log, a log rewritten behind the ledger's back would pass."""
    with opened(database_url) as services:
        load_founding_example(services.ledger, OPERATOR)
        tables = services.ledger.merkle.tables
        leaves, nodes = tree_rows(tables)
        index, position, _ = leaves[5]
        leaves[5] = (index, position, b"\x07" * 32)
        write_former_tables(tables, (leaves, nodes))
    with opened(database_url) as services:
        assert tree_rows(services.ledger.merkle.tables) == (leaves, nodes)
        report = services.proofs.verify()
        assert not report.ok
        assert report.first_bad_position == position
