"""Where the database settings of each store used to be, kept importable under their
earlier names.

A database URL picks its store in ``application.stores`` (``store_for``), which turns it
into the environment the ``eventsourcing`` library reads; PostgreSQL's table-creation lock is
in ``application.stores.postgres``, SQLite's URL reading in ``application.stores.sqlite``.
"""

from __future__ import annotations

from application.stores import persistence_env, redact
from application.stores.postgres import CREATION_LOCK, POSTGRES_SCHEMES, creation_lock
from application.stores.sqlite import sqlite_path

__all__ = [
    "CREATION_LOCK",
    "POSTGRES_SCHEMES",
    "creation_lock",
    "persistence_env",
    "redact",
    "sqlite_path",
]
