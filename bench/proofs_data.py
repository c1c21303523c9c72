"""The stores, trees and switches the Merkle log's benchmark (``proofs.py``) works on.

Every figure of that benchmark needs a store of its own, new for the run and gone after it:
a SQLite file in a temporary folder, or a schema of its own in a PostgreSQL database. A
write without the tree is the same ledger with its tree maintenance switched off in this
process only, so that the difference between the two sides is the tree and nothing else. A
tree of a million leaves is built from synthetic leaves appended straight to the tree's
tables: a million real events would take far longer to record, and a proof reads only the
tree.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import common

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
POSTGRES_DATABASE = "test"
TREE_BATCH = 10_000


class Stores:
    """New, empty stores by name: SQLite files in one temporary folder, or schemas of one
    PostgreSQL database; all of them removed when the run ends."""

    def __init__(self, postgres: str | None) -> None:
        self.postgres = postgres
        self.run = f"bench_proofs_{uuid.uuid4().hex[:8]}"
        self.schemas: list[str] = []
        self._cleanup = ExitStack()
        self.folder = Path(
            self._cleanup.enter_context(tempfile.TemporaryDirectory(prefix="bench-proofs-"))
        )
        self._cleanup.callback(self._drop_schemas)

    def url(self, name: str) -> str:
        """The URL of a new store called ``name`` in this run."""
        if self.postgres is None:
            return f"sqlite:///{self.folder / f'{name}.db'}"
        schema = f"{self.run}_{name}"
        with self._admin() as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        return f"{self.postgres}/{POSTGRES_DATABASE}?schema={schema}"

    def file(self, name: str) -> Path:
        """A path for a file of this run (an export, say)."""
        return self.folder / name

    def describe(self) -> str:
        if self.postgres is None:
            return f"SQLite files in {self.folder}"
        return (
            f"PostgreSQL {common.redacted(self.postgres)}/{POSTGRES_DATABASE}, schemas {self.run}_*"
        )

    def close(self) -> None:
        self._cleanup.close()

    def __enter__(self) -> Stores:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _drop_schemas(self) -> None:
        if not self.schemas:
            return
        with self._admin() as connection:
            for schema in self.schemas:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def _admin(self) -> Any:  # a psycopg connection
        import psycopg

        return psycopg.connect(f"{self.postgres}/{POSTGRES_DATABASE}", autocommit=True)


@contextmanager
def services_on(url: str) -> Iterator[Any]:
    """The ledger's services on ``url``, as ``ledger`` commands build them (the views left to
    a projector elsewhere, so that only the log and its tree count)."""
    from application.bootstrap import bootstrap
    from application.settings import Settings

    services = bootstrap(Settings(database_url=url, projections="external"))
    try:
        yield services
    finally:
        services.close()


@contextmanager
def tree_switched_off() -> Iterator[None]:
    """Writes in this process keep no tree while inside: no entries are prepared before the
    transaction and no leaves appended in it, the rest of the write path unchanged."""
    from application.proofs import keeping

    saved = keeping.with_entries, keeping.append_leaves

    def without_entries(kwargs: dict[str, Any], stored_events: Any) -> dict[str, Any]:  # noqa: ARG001
        return kwargs

    def without_leaves(*args: Any) -> None:  # noqa: ARG001
        return None

    keeping.with_entries, keeping.append_leaves = without_entries, without_leaves  # type: ignore[assignment]
    try:
        yield
    finally:
        keeping.with_entries, keeping.append_leaves = saved


def synthetic_leaf(position: int) -> bytes:
    from application.proofs import merkle

    return merkle.leaf_hash(b"synthetic event at position %d" % position)


def build_synthetic_tree(tree: Any, leaves: int) -> float:
    """Append leaves for positions 1 to ``leaves`` to an empty tree, ``TREE_BATCH`` a
    transaction, with the tree's own ``append``; the seconds it took."""
    began = time.perf_counter()
    for first in range(1, leaves + 1, TREE_BATCH):
        last = min(first + TREE_BATCH, leaves + 1)
        with tree.tables.transaction(commit=True) as statements:
            tree.append(statements, [(p, synthetic_leaf(p)) for p in range(first, last)])
        if (last - 1) % 100_000 == 0 or last == leaves + 1:
            common.progress(f"tree: {last - 1:,} of {leaves:,} synthetic leaves")
    return time.perf_counter() - began


class EveryEventAt:
    """Log positions for a tree of synthetic leaves: the event ``<UUID(int=p)>@1`` is the one
    at position ``p``, so that ``Proofs.inclusion`` runs unchanged on a tree with no events."""

    def of(self, subject_id: UUID) -> dict[int, int]:
        return {1: subject_id.int}


def synthetic_event_id(position: int) -> str:
    from domain.ids import event_id

    return event_id(UUID(int=position), 1)
