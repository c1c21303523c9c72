"""Signed-in sessions of the web pages, kept on the server.

A browser signs in once with an API key; from then on it holds only a session id, a random
256-bit value in an ``HttpOnly`` cookie. The key itself is never kept anywhere, not even in a
readable or signed form: the session's row holds the SHA-256 of the session id (so that
reading the table does not give anyone a session) and the id of the key that signed in. Every
request reads the key's row again, so a key revoked anywhere ends its sessions at once, and
its role is always the one the key has now.

The rows live beside the API keys, in the ledger's own database, so that every process of a
deployment knows every session and signing out (deleting the row) ends it everywhere.

The CSRF token of a session is derived from its id (an HMAC), so it needs no storage of its
own and a page can be rendered without a write; a cross-site page can neither read the cookie
nor the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.keys import ApiKey, KeyNotFound, Keys
from application.ledger import Clock
from application.tables import Tables

LIFETIME = timedelta(hours=8)
"""A session ends this long after signing in, whatever happens meanwhile."""
DDL = [
    """CREATE TABLE IF NOT EXISTS {ledger_ui_sessions} (
        session_sha256 TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )"""
]


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its key as it stands now, and its CSRF token."""

    key: ApiKey
    csrf_token: str


def _sha256(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    return hmac.new(session_id.encode(), b"ledger-ui-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session: Session, presented: str | None) -> bool:
    """Compared in constant time, like the keys' secrets."""
    return presented is not None and hmac.compare_digest(session.csrf_token, presented)


class Sessions:
    """Opening, finding and closing sessions. Blocking: call it in a worker thread."""

    def __init__(self, tables: Tables, keys: Keys, clock: Clock) -> None:
        self.tables = tables
        self.keys = keys
        self.clock = clock
        self._created = False
        self._creating = threading.Lock()

    def _ensure_table(self) -> None:
        if not self._created:
            with self._creating:
                if not self._created:
                    self.tables.create(DDL)
                    self._created = True

    def open(self, token: str, replacing: str | None = None) -> tuple[str, Session]:
        """A new session for the key whose token was given (``KeyRefused`` if it does not
        authenticate, and then nothing changes): the session id for the cookie, and the
        session. The session the browser held until now (``replacing``), whoever's it was,
        is closed in the same transaction: signing in never leaves an old session behind,
        nor keeps an id the browser brought (always a new random one)."""
        key = self.keys.authenticate(token)
        self._ensure_table()
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        with self.tables.transaction(commit=True) as sql:
            if replacing:
                sql.execute(
                    "DELETE FROM {ledger_ui_sessions} WHERE session_sha256 = ?",
                    (_sha256(replacing),),
                )
            sql.execute(
                "INSERT INTO {ledger_ui_sessions} (session_sha256, key_id, created_at, "
                "expires_at) VALUES (?, ?, ?, ?)",
                (_sha256(session_id), key.id, now.isoformat(), (now + LIFETIME).isoformat()),
            )
        return session_id, Session(key, csrf_token(session_id))

    def find(self, session_id: str) -> Session | None:
        """The session, if it exists, has not expired and its key is still active."""
        self._ensure_table()
        with self.tables.transaction(commit=False) as sql:
            sql.execute(
                "SELECT key_id, expires_at FROM {ledger_ui_sessions} WHERE session_sha256 = ?",
                (_sha256(session_id),),
            )
            row = sql.fetchone()
        if row is None or datetime.fromisoformat(row["expires_at"]) <= self.clock():
            return None
        try:
            key = self.keys.get(str(row["key_id"]))
        except KeyNotFound:
            return None
        if not key.active:
            self.close(session_id)
            return None
        return Session(key, csrf_token(session_id))

    def close(self, session_id: str) -> None:
        """Sign out (and forget expired sessions on the way)."""
        self._ensure_table()
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "DELETE FROM {ledger_ui_sessions} WHERE session_sha256 = ? OR expires_at < ?",
                (_sha256(session_id), self.clock().isoformat()),
            )
