"""A database URL picks its store by scheme, and the library's parts lead back to it."""

from __future__ import annotations

import pytest
from eventsourcing.popo import POPOFactory
from eventsourcing.utils import Environment, resolve_topic

from application.stores import persistence_env, store_for, store_of
from application.stores.memory import MemoryHookedRecorder
from domain.errors import InvalidValue


@pytest.mark.parametrize(
    ("url", "name", "module"),
    [
        ("sqlite:///ledger.db", "sqlite", "eventsourcing.sqlite"),
        ("postgresql://postgres@localhost/ledger", "postgres", "eventsourcing.postgres"),
        ("postgres://postgres@localhost/ledger", "postgres", "eventsourcing.postgres"),
        ("postgresql+psycopg://postgres@localhost/ledger", "postgres", "eventsourcing.postgres"),
        ("memory://", "memory", "eventsourcing.popo"),
    ],
)
def test_each_scheme_picks_its_store(url: str, name: str, module: str) -> None:
    store = store_for(url)
    assert store.name == name
    assert store.persistence_module == module
    found = resolve_topic(persistence_env(url, {})["PERSISTENCE_MODULE"])
    if isinstance(found, type):  # the library's factory class, or the ledger's own of it
        assert module in {cls.__module__ for cls in found.__mro__}
    else:
        assert found.__name__ == module


@pytest.mark.parametrize("url", ["mysql://root:hunter2@db/ledger", "ledger.db", "file:///x.db"])
def test_an_unknown_scheme_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(InvalidValue, match="unsupported database URL") as refused:
        store_for(url)
    assert "use sqlite:///path.db, postgresql://user@host/dbname or memory://" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_the_library_parts_lead_back_to_their_store() -> None:
    memory = store_for("memory://")
    factory = POPOFactory(Environment("SanctionsLedger", {}))
    assert store_of(factory) is memory
    assert store_of(MemoryHookedRecorder()) is memory
    assert store_of(memory.recorder(factory)) is memory


def test_a_part_of_no_store_is_refused() -> None:
    with pytest.raises(TypeError, match="no store for a object"):
        store_of(object())
