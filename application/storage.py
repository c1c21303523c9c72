"""Where the database settings of each store used to be, kept importable under their
earlier names.

A database URL picks its store in ``application.stores`` (``store_for``), which turns it
into the environment the ``eventsourcing`` library reads; PostgreSQL's table-creation lock is
in ``application.stores.postgres``, SQLite's URL reading in ``application.stores.sqlite``.
"""

from __future__ import annotations

from typing import Any

from application.stores import persistence_env, redact
from application.stores.sqlite import sqlite_path

_POSTGRES_NAMES = ("CREATION_LOCK", "POSTGRES_SCHEMES", "creation_lock")


def __getattr__(name: str) -> Any:
    """PostgreSQL's names, its module (and driver) imported only when one is asked for."""
    if name in _POSTGRES_NAMES:
        from application.stores import postgres

        return getattr(postgres, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [  # and, through ``__getattr__``, PostgreSQL's names
    "persistence_env",
    "redact",
    "sqlite_path",
]
