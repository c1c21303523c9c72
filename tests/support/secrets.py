"""Every API key secret the test session creates, and where to look for one written down.

After the whole session, no secret may appear in any database file the tests left, in any
row of the session's PostgreSQL database, or in any log line (``tests/conftest.py``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from application.keys import TOKEN_PREFIX

KEY_ID_DIGITS = 16

ISSUED: list[str] = []
"""Every token the tests issued through ``tests.support.keys.issue``."""


def remember(token: str) -> str:
    ISSUED.append(token)
    return token


def secret_parts() -> list[bytes]:
    """Each token, and the secret it ends with (what must never be stored), as bytes.

    A token is ``sl_<16 hex digits of the key id>_<secret>``; the secret may hold "_" too.
    """
    found: list[bytes] = []
    for token in ISSUED:
        secret = token[len(TOKEN_PREFIX) + KEY_ID_DIGITS + 1 :]
        assert len(secret) >= 32, "not a token of the form sl_<id>_<secret>"
        found += [token.encode(), secret.encode()]
    return found


def leaks_in_files(root: Path, secrets: list[bytes]) -> list[str]:
    """Files under ``root`` (database files, their journals, log files) holding a secret."""
    leaks = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            leaks += [f"{path}: {secret[:12]!r}..." for secret in secrets if secret in data]
    return leaks


def leaks_in_postgres(url: str, secrets: list[bytes]) -> list[str]:
    """Rows of every table in every schema of the database holding a secret."""
    parts = urlsplit(url)
    leaks = []
    with psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        dbname=parts.path.lstrip("/"),
        autocommit=True,
    ) as connection:
        tables = connection.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        for schema, table in tables:
            query = sql.SQL("SELECT CAST(t AS text) FROM {}.{} t").format(
                sql.Identifier(schema), sql.Identifier(table)
            )
            for (row,) in connection.execute(query):
                data = str(row).encode()
                leaks += [f"{schema}.{table}: {s[:12]!r}..." for s in secrets if s in data]
    return leaks
