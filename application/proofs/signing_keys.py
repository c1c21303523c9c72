"""The ledger's signing key: one Ed25519 key that signs its checkpoints.

The key is kept in a table of its own beside the service's other tables, never in the
event tables whose history it vouches for, or, where a deployment keeps secrets apart from
the database, in a file (``LEDGER_SIGNING_KEY_FILE``) that the database never sees. It is made
by ``ledger signing-key create`` or, failing that, on the ledger's first start. Its name is
the log's origin (the first line of every checkpoint), so that one key names one log.

Processes that start at once may each try to make the first key: the table takes the first
and every process then reads that one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from application.proofs.signed_note import NoteError, NoteSigner, key_name_problem
from application.tables import Tables
from domain.errors import InvalidValue, RuleViolation

DDL = [
    """CREATE TABLE IF NOT EXISTS {ledger_signing_key} (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        signer_key TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
]
INSERT = (
    "INSERT INTO {ledger_signing_key} (id, signer_key, created_at) VALUES (1, ?, ?) "
    "ON CONFLICT (id) DO NOTHING"
)
SELECT = "SELECT signer_key FROM {ledger_signing_key} WHERE id = 1"


def default_origin() -> str:
    """A log origin unique to this ledger, for a deployment that names none."""
    return f"sanctions-ledger.local/{secrets.token_hex(6)}"


class SigningKeys:
    """Where the ledger's signing key is kept: its table, or the file the settings name."""

    def __init__(self, tables: Tables, key_file: str | None = None) -> None:
        self.tables = tables
        self.key_file = Path(key_file) if key_file else None
        tables.create(DDL)

    def current(self) -> NoteSigner | None:
        """The ledger's key, if it has one."""
        text = self._read()
        if text is None:
            return None
        try:
            return NoteSigner.from_signer_key(text.strip())
        except (NoteError, ValueError) as error:
            raise RuleViolation(f"the stored signing key is unreadable: {error}") from None

    def create(self, origin: str | None, now: str) -> tuple[NoteSigner, bool]:
        """Make the ledger's key named ``origin`` (a fresh one if not given), unless it has
        one already; the key, and whether this call made it."""
        existing = self.current()
        if existing is not None:
            return existing, False
        name = origin or default_origin()
        problem = key_name_problem(name)
        if problem is not None:
            raise InvalidValue(f"the log origin {name!r} cannot name a key: {problem}")
        signer = NoteSigner.generate(name)
        if self.key_file is not None:
            self._write_file(signer.signer_key)
        else:
            with self.tables.transaction(commit=True) as statements:
                statements.execute(INSERT, (signer.signer_key, now))
        current = self.current()
        assert current is not None
        return current, current.signer_key == signer.signer_key

    def ensure(self, origin: str | None, now: str) -> NoteSigner:
        """The ledger's key, made now if it has none."""
        return self.create(origin, now)[0]

    def _read(self) -> str | None:
        if self.key_file is not None:
            return self.key_file.read_text() if self.key_file.exists() else None
        with self.tables.transaction(commit=False) as statements:
            statements.execute(SELECT)
            row = statements.fetchone()
        return None if row is None else str(row["signer_key"])

    def _write_file(self, signer_key: str) -> None:
        """Write the key readable by its owner only, never over a key already there."""
        assert self.key_file is not None
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return  # Another process made it first: its key is the ledger's.
        with os.fdopen(descriptor, "w") as file:
            file.write(signer_key + "\n")
