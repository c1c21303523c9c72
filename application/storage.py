"""Turning a database URL into the environment the ``eventsourcing`` library reads.

The library chooses its persistence module and connection from environment-style settings;
the ledger speaks in one URL instead, which is what operators already write in compose files
and secrets. Parts a PostgreSQL URL leaves out fall back to the usual ``PG*`` variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from domain.errors import InvalidValue

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def persistence_env(database_url: str, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The ``eventsourcing`` environment for a database URL."""
    scheme = urlsplit(database_url).scheme
    if scheme == "sqlite":
        return _sqlite_env(database_url)
    if scheme in POSTGRES_SCHEMES:
        return _postgres_env(database_url, environ)
    if scheme == "memory":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    raise InvalidValue(
        f"unsupported database URL {redact(database_url)!r}: use sqlite:///path.db, "
        "postgresql://user@host/dbname or memory://"
    )


def sqlite_path(database_url: str) -> str:
    """The file a ``sqlite:///`` URL names: three slashes for a relative path, four for an
    absolute one, as SQLAlchemy and most tools read it."""
    path = urlsplit(database_url).path
    return path[1:] if path.startswith("/") else path


def _sqlite_env(database_url: str) -> dict[str, str]:
    path = sqlite_path(database_url)
    if not path:
        raise InvalidValue("a sqlite URL needs a file: sqlite:///ledger.db")
    if ":memory:" not in path and "mode=memory" not in path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def _postgres_env(database_url: str, environ: Mapping[str, str]) -> dict[str, str]:
    url = urlsplit(database_url)
    query = parse_qs(url.query)
    dbname = unquote(url.path.lstrip("/")) or environ.get("PGDATABASE", "")
    if not dbname:
        raise InvalidValue("a postgresql URL needs a database name: postgresql://host/dbname")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": url.hostname or environ.get("PGHOST", "localhost"),
        "POSTGRES_PORT": str(url.port or environ.get("PGPORT", "5432")),
        "POSTGRES_USER": unquote(url.username or "") or environ.get("PGUSER", "postgres"),
        "POSTGRES_PASSWORD": unquote(url.password or "") or environ.get("PGPASSWORD", ""),
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }
    if "schema" in query:
        env["POSTGRES_SCHEMA"] = query["schema"][0]
    return env


def redact(database_url: str) -> str:
    """The URL with its password hidden, for logs and error messages."""
    url = urlsplit(database_url)
    if not url.password:
        return database_url
    return database_url.replace(f":{url.password}@", ":***@", 1)
