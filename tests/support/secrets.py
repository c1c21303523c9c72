"""Every API key secret the test session creates, and where to look for one written down.

After the whole session, no secret may appear in any database file the tests left, in any
row of the session's PostgreSQL database, or in any log line (``tests/conftest.py``).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
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


def finder(secrets: list[bytes], *, tool: str | None = "grep") -> Callable[[bytes], list[bytes]]:
    """Which of ``secrets`` a piece of data holds, in one pass.

    The session issues hundreds of secrets and leaves tens of megabytes of files and
    database rows to search. ``grep -F`` looks for all of them at once at several hundred
    megabytes a second; where it is missing (or ``tool`` is None) the secrets are merged into
    one regular expression's trie, which tries one branch per byte wherever it stands, not
    one per secret, but runs some ten times slower."""
    words = sorted(set(secrets))
    if not words:
        return lambda _data: []
    found = shutil.which(tool) if tool else None
    if found is not None:
        assert not any(b"\n" in word for word in words), "grep splits a pattern at a newline"
        return functools.partial(_grep, found, words)
    pattern = re.compile(_trie_pattern(words))
    return lambda data: [match.group() for match in pattern.finditer(data)]


def _grep(tool: str, words: list[bytes], data: bytes) -> list[bytes]:
    """Each occurrence of the words in ``data``: fixed strings, binary data read as text,
    bytes compared as bytes (the C locale)."""
    patterns = [argument for word in words for argument in (b"-e", word)]
    return _run_grep([tool.encode(), *patterns], data).splitlines()


def _run_grep(arguments: list[Any], data: bytes | None = None) -> bytes:
    """What ``grep -F -a -o`` with these arguments prints: fixed strings, binary data read
    as text, bytes compared as bytes (the C locale)."""
    tool, *rest = arguments
    done = subprocess.run(
        [tool, "-F", "-a", "-o", *rest],
        input=data,
        capture_output=True,
        check=False,
        env={**os.environ, "LC_ALL": "C"},
    )
    if done.returncode > 1:  # 1: nothing found
        raise RuntimeError(f"grep failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _trie_pattern(words: list[bytes]) -> bytes:
    trie: dict[int, Any] = {}
    for word in words:
        node = trie
        for byte in word:
            node = node.setdefault(byte, {})
        node[-1] = {}  # a word ends here
    return _render(trie)


def _render(node: dict[int, Any]) -> bytes:
    branches = [
        re.escape(bytes([byte])) + _render(child) for byte, child in node.items() if byte >= 0
    ]
    if not branches:
        return b""
    group = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + group + b")?" if -1 in node else group


def leaks_in_files(root: Path, secrets: list[bytes], *, tool: str | None = "grep") -> list[str]:
    """Files under ``root`` (database files, their journals, log files) holding a secret:
    one ``grep`` over the whole tree where it is at hand (a session leaves a thousand files,
    and a process per file took 3 s), else each file read and searched in turn."""
    found = shutil.which(tool) if tool else None
    if found is not None and secrets:
        return _grep_tree(found, root, sorted(set(secrets)))
    found_in = finder(secrets, tool=tool)
    leaks = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            leaks += [_leak(path, secret) for secret in found_in(path.read_bytes())]
    return leaks


def _grep_tree(tool: str, root: Path, words: list[bytes]) -> list[str]:
    """Each occurrence of the words in the files under ``root`` (symbolic links not
    followed), as ``grep -F`` finds them in ``finder``; each line of its output is the file's
    name, a NUL byte, and the words found."""
    assert not any(b"\n" in word for word in words), "grep splits a pattern at a newline"
    with tempfile.NamedTemporaryFile() as patterns:
        patterns.write(b"\n".join(words) + b"\n")
        patterns.flush()
        found = _run_grep([tool, "-r", "-Z", "-f", patterns.name, str(root)])
    leaks = []
    for line in found.splitlines():
        name, _, secret = line.partition(b"\0")
        leaks.append(_leak(Path(os.fsdecode(name)), secret))
    return leaks


def _leak(path: Path, secret: bytes) -> str:
    return f"{path}: {secret[:12]!r}..."


def leaks_in_postgres(url: str, secrets: list[bytes]) -> list[str]:
    """Rows of every table in every schema of the database holding a secret: read from one
    ``pg_dump`` of the whole database where the tool is at hand (one pass, however many
    schemas the session made), else table by table."""
    dump = _pg_dump(url)
    if dump is not None:
        # bytea columns (the events' own state among them) are dumped in hex.
        in_hex = [secret.hex().encode() for secret in secrets]
        found = finder([*secrets, *in_hex])(dump)
        return [f"pg_dump of {url}: {secret[:12]!r}..." for secret in found]
    return _leaks_table_by_table(url, secrets)


def _pg_dump(url: str) -> bytes | None:
    tool = shutil.which("pg_dump")
    if tool is None:
        return None
    done = subprocess.run(
        [tool, "--data-only", "--no-owner", "--dbname", url],
        capture_output=True,
        check=False,
        timeout=300,
    )
    return done.stdout if done.returncode == 0 else None


def _leaks_table_by_table(url: str, secrets: list[bytes]) -> list[str]:
    parts = urlsplit(url)
    found_in = finder(secrets)
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
        texts = sorted({secret.decode() for secret in secrets})
        for schema, table in tables:
            # The server compares each row with every secret, so that only rows holding one
            # travel: the session's database holds many schemas and many rows.
            query = sql.SQL(
                "SELECT CAST(t AS text) FROM {}.{} t WHERE EXISTS "
                "(SELECT 1 FROM unnest(%s::text[]) s WHERE strpos(CAST(t AS text), s) > 0)"
            ).format(sql.Identifier(schema), sql.Identifier(table))
            for (row,) in connection.execute(query, (texts,)):
                leaks += [f"{schema}.{table}: {s[:12]!r}..." for s in found_in(str(row).encode())]
    return leaks
