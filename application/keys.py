"""API keys: who may use the ledger, in which role, and who recorded what.

A key is shown once, when it is created, as ``sl_<key id>_<secret>``: the ``sl_`` prefix
makes a leaked key easy to recognise (secret scanners, log reviews), the key id is public
(it names the key in every event it records and in the logs), and the secret is 256 random
bits. Only the SHA-256 of the secret is stored. A slow password hash would add nothing: a
secret of 256 random bits cannot be guessed from its hash, however fast the hash is, while
every request has to check one. The stored and the presented hash are compared in constant
time, so that response times say nothing about how much of a forged secret was right.

Keys are never deleted, only revoked: the ledger's history names keys for ever, and an
auditor must still be able to look up the name and role behind an old recording.

Every API process keeps the keys it has verified in memory (``KeyCache``), so that a request
with a known key costs no query. A revocation must still reach every process at once,
whichever process or command made it: issuing and revoking bump a revision counter (one row
beside the keys) in the same transaction, each process reads that row at least every
``cache_seconds`` and drops its cache when the number moved, and a cache whose last reading
is older than that is not trusted at all (the key is checked in the database). So a key
revoked anywhere is refused everywhere within ``cache_seconds`` (half a second by default).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from application.tables import Row, Statements, Tables
from domain.errors import InvalidValue, NotFound, RuleViolation
from domain.text import first_unacceptable
from domain.values import Actor

if TYPE_CHECKING:
    from application.ledger import Clock

TOKEN_PREFIX = "sl_"
TOKEN = re.compile(r"sl_(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})")
NAME = re.compile(r"[^\x00-\x1f\x7f]{1,100}")
CLI = "cli"
"""Who creates or revokes a key from the command line, where there is no key to name."""

DDL = [
    """CREATE TABLE IF NOT EXISTS {ledger_api_keys} (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
    )""",
    # The keys' revision: one row, bumped by every change to the keys, read by every process
    # to know when its cache of verified keys must go.
    """CREATE TABLE IF NOT EXISTS {ledger_api_key_revision} (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        revision BIGINT NOT NULL
    )""",
    "INSERT INTO {ledger_api_key_revision} (id, revision) VALUES (1, 0) "
    "ON CONFLICT (id) DO NOTHING",
]
BUMP_REVISION = "UPDATE {ledger_api_key_revision} SET revision = revision + 1 WHERE id = 1"
READ_REVISION = "SELECT revision FROM {ledger_api_key_revision} WHERE id = 1"
COLUMNS = "key_id, name, role, created_at, created_by, revoked_at, revoked_by"


class Role(StrEnum):
    """What a key may do. ``reader`` reads subjects and measures; ``auditor`` reads
    everything a reader can plus the raw record (history, changes, the event log);
    ``operator`` reads and records; ``admin`` does all of that and manages keys."""

    READER = "reader"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def actor(self) -> Actor:
        """Who the ledger's events say recorded them: the key's id and name, never its secret."""
        return Actor(id=self.id, name=self.name)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its secret token, which exists nowhere else once this is dropped."""

    key: ApiKey
    token: str


class KeyNotFound(NotFound):
    pass


class KeyRefused(Exception):
    """A presented token that does not authenticate. ``key_id`` is the id the token claims
    (public, safe to log); the token itself is never kept."""

    def __init__(self, reason: str, key_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key_id = key_id


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(token: str) -> str | None:
    """The key id a token claims, if it has the shape of a key: for logs, never for trust."""
    match = TOKEN.fullmatch(token)
    return match["key_id"] if match else None


@dataclass(frozen=True)
class VerifiedKey:
    secret_sha256: str
    key: ApiKey


class KeyCache:
    """The keys this process verified, trusted for ``max_age`` seconds after the keys'
    revision was last read unchanged.

    ``checked_at`` is the moment a reading of the revision *began*: every change committed
    before then is reflected in that reading. Entries are only added under the revision they
    were read with, so a key read just before a revocation cannot slip back in after the
    cache was dropped for it.
    """

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self.clock = clock
        self.revision: int | None = None
        self.checked_at = float("-inf")
        self._entries: dict[str, VerifiedKey] = {}
        self._lock = threading.Lock()

    @property
    def fresh(self) -> bool:
        return self.clock() - self.checked_at <= self.max_age

    def get(self, key_id: str, *, trusted: bool = False) -> VerifiedKey | None:
        """The verified key, if the cache may be trusted now (or the caller just read the
        revision: ``trusted``)."""
        if not (trusted or self.fresh):
            return None
        return self._entries.get(key_id)

    def observe(self, revision: int, began: float) -> None:
        """A reading of the revision that began at ``began``: drop everything if it moved.
        The revision only grows, so a reading older than the last one observed (a request
        that read it just before a revocation and finished just after) changes nothing."""
        with self._lock:
            if self.revision is not None and revision < self.revision:
                return
            if revision != self.revision:
                self._entries = {}
                self.revision = revision
            self.checked_at = max(self.checked_at, began)

    def add(self, revision: int, verified: VerifiedKey) -> None:
        with self._lock:
            if revision == self.revision and self.max_age > 0:
                self._entries[verified.key.id] = verified

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
            self.revision = None
            self.checked_at = float("-inf")


class Keys:
    """Issuing, revoking and checking API keys."""

    def __init__(self, tables: Tables, clock: Clock, cache_seconds: float = 0.5) -> None:
        self.tables = tables
        self.clock = clock
        self.cache = KeyCache(cache_seconds)
        tables.create(DDL)

    def issue(self, role: Role | str, name: str, created_by: str) -> IssuedKey:
        role = _role(role)
        name = _name(name)
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        key = ApiKey(key_id, name, role, self.clock(), created_by)
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "INSERT INTO {ledger_api_keys} "
                "(key_id, name, role, secret_sha256, created_at, created_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.name,
                    key.role.value,
                    secret_hash(secret),
                    _iso(key.created_at),
                    created_by,
                ),
            )
            sql.execute(BUMP_REVISION)
        return IssuedKey(key, f"{TOKEN_PREFIX}{key_id}_{secret}")

    def revoke(self, key_id: str, revoked_by: str) -> ApiKey:
        """Revoke a key; revoking it again changes nothing and answers the same. This
        process forgets its verified keys at once; the others within ``cache_seconds``."""
        if key_id == revoked_by:
            raise RuleViolation(
                "a key cannot revoke itself: revoke it with another admin key or with "
                "`ledger keys revoke`"
            )
        with self.tables.transaction(commit=True) as sql:
            sql.execute(
                "UPDATE {ledger_api_keys} SET revoked_at = ?, revoked_by = ? "
                "WHERE key_id = ? AND revoked_at IS NULL",
                (_iso(self.clock()), revoked_by, key_id),
            )
            sql.execute(BUMP_REVISION)
        self.cache.clear()
        self.refresh()
        return self.get(key_id)

    def cached(self, token: str) -> ApiKey | None:
        """The key, verified from memory alone; ``None`` when only the database can tell
        (a key not seen yet, or a cache not confirmed recently enough). Never queries."""
        match = _token_match(token)
        verified = self.cache.get(match["key_id"])
        return None if verified is None else _verify(verified, match)

    def authenticate(self, token: str) -> ApiKey:
        """The key, verified against the database (and the cache refreshed on the way)."""
        match = _token_match(token)
        key_id = match["key_id"]
        began = self.cache.clock()
        with self.tables.transaction(commit=False) as sql:
            # The revision first: a revocation committed before the key's row was read is
            # then either seen in the row, or bumps the revision past this reading.
            revision = _revision(sql)
            self.cache.observe(revision, began)
            verified = self.cache.get(key_id, trusted=True)
            if verified is None:
                sql.execute(
                    f"SELECT {COLUMNS}, secret_sha256 FROM {{ledger_api_keys}} WHERE key_id = ?",
                    (key_id,),
                )
                row = sql.fetchone()
                if row is None:
                    raise KeyRefused("no such API key", key_id)
                verified = VerifiedKey(str(row["secret_sha256"]), _key(row))
        key = _verify(verified, match)
        self.cache.add(revision, verified)
        return key

    def refresh(self) -> None:
        """Read the keys' revision, dropping the cache if any key changed since: one tiny
        query, for a process to run every fraction of ``cache_seconds``."""
        began = self.cache.clock()
        with self.tables.transaction(commit=False) as sql:
            revision = _revision(sql)
        self.cache.observe(revision, began)

    def get(self, key_id: str) -> ApiKey:
        with self.tables.transaction(commit=False) as sql:
            sql.execute(f"SELECT {COLUMNS} FROM {{ledger_api_keys}} WHERE key_id = ?", (key_id,))
            row = sql.fetchone()
        if row is None:
            raise KeyNotFound(f"no API key {key_id!r}")
        return _key(row)

    def all(self) -> list[ApiKey]:
        with self.tables.transaction(commit=False) as sql:
            sql.execute(f"SELECT {COLUMNS} FROM {{ledger_api_keys}} ORDER BY created_at, key_id")
            return [_key(row) for row in sql.fetchall()]

    def exist(self) -> bool:
        with self.tables.transaction(commit=False) as sql:
            sql.execute("SELECT 1 FROM {ledger_api_keys} LIMIT 1")
            return sql.fetchone() is not None


def _token_match(token: str) -> re.Match[str]:
    match = TOKEN.fullmatch(token)
    if match is None:
        raise KeyRefused("the token is not an API key of this ledger (sl_...)")
    return match


def _verify(verified: VerifiedKey, match: re.Match[str]) -> ApiKey:
    """The key, if the token's secret is its secret and it is not revoked. The hashes are
    compared in constant time."""
    key = verified.key
    if not hmac.compare_digest(secret_hash(match["secret"]), verified.secret_sha256):
        raise KeyRefused("the API key's secret is wrong", key.id)
    if not key.active:
        raise KeyRefused("the API key was revoked", key.id)
    return key


def _revision(sql: Statements) -> int:
    sql.execute(READ_REVISION)
    row = sql.fetchone()
    return 0 if row is None else int(row["revision"])


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        accepted = ", ".join(r.value for r in Role)
        raise InvalidValue(f"unknown role {role!r}; the roles are {accepted}") from None


def _name(name: str) -> str:
    stripped = name.strip()
    # The name is recorded with every write the key makes, so it obeys the events' text rule.
    if not NAME.fullmatch(stripped) or first_unacceptable(stripped) or _unencodable(stripped):
        raise InvalidValue("a key's name is 1 to 100 printable characters, e.g. 'ofac-importer'")
    return stripped


def _unencodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _key(row: Row) -> ApiKey:
    revoked_at = row["revoked_at"]
    return ApiKey(
        id=str(row["key_id"]),
        name=str(row["name"]),
        role=Role(row["role"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        created_by=str(row["created_by"]),
        revoked_at=None if revoked_at is None else datetime.fromisoformat(revoked_at),
        revoked_by=None if row["revoked_by"] is None else str(row["revoked_by"]),
    )
