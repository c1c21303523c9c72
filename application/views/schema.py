"""The views' tables, in SQL that SQLite and PostgreSQL both accept.

Every row of a bitemporal table holds over an effective period ``[eff_from, eff_to)`` and a
recorded period ``[rec_from, rec_to)`` of log positions; a NULL end is open. A question
"as of A, known at K" is then one indexed filter:
``rec_from <= K < rec_to and eff_from <= A < eff_to``. A row is never updated except to
close its recorded period, so every answer the views ever gave can be given again.
"""

from __future__ import annotations

BEGINNING = "0000-01-01T00:00:00.000000Z"
"""The effective start of a profile known before any stated date: earlier than any time."""

LOG = """
CREATE TABLE IF NOT EXISTS ledger_log (
    position BIGINT PRIMARY KEY,
    aggregate_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    subject_event BOOLEAN NOT NULL,
    recorded_at TEXT NOT NULL,
    known_from TEXT NOT NULL
)"""

MEASURE_SEGMENTS = """
CREATE TABLE IF NOT EXISTS measure_segments (
    measure_id TEXT NOT NULL,
    eff_from TEXT NOT NULL,
    rec_from BIGINT NOT NULL,
    eff_to TEXT,
    rec_to BIGINT,
    subject_id TEXT NOT NULL,
    authority TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    programs TEXT NOT NULL,
    digest TEXT NOT NULL,
    terms_digest TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (measure_id, eff_from, rec_from)
)"""

PROFILE_SEGMENTS = """
CREATE TABLE IF NOT EXISTS profile_segments (
    subject_id TEXT NOT NULL,
    eff_from TEXT NOT NULL,
    rec_from BIGINT NOT NULL,
    eff_to TEXT,
    rec_to BIGINT,
    kind TEXT NOT NULL,
    primary_name TEXT NOT NULL,
    countries TEXT NOT NULL,
    refs TEXT NOT NULL,
    digest TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (subject_id, eff_from, rec_from)
)"""

NAME_SEGMENTS = """
CREATE TABLE IF NOT EXISTS name_segments (
    subject_id TEXT NOT NULL,
    eff_from TEXT NOT NULL,
    rec_from BIGINT NOT NULL,
    ordinal INTEGER NOT NULL,
    eff_to TEXT,
    rec_to BIGINT,
    name TEXT NOT NULL,
    name_type TEXT NOT NULL,
    normalized TEXT NOT NULL,
    PRIMARY KEY (subject_id, eff_from, rec_from, ordinal)
)"""

INDEXES = [
    "CREATE INDEX IF NOT EXISTS ledger_log_known_from ON ledger_log (known_from)",
    "CREATE INDEX IF NOT EXISTS ledger_log_aggregate ON ledger_log (aggregate_id, version)",
    "CREATE INDEX IF NOT EXISTS measure_segments_open ON measure_segments (subject_id) "
    "WHERE rec_to IS NULL",
    "CREATE INDEX IF NOT EXISTS measure_segments_subject "
    "ON measure_segments (subject_id, rec_from)",
    "CREATE INDEX IF NOT EXISTS measure_segments_current ON measure_segments (measure_id) "
    "WHERE rec_to IS NULL",
    "CREATE INDEX IF NOT EXISTS profile_segments_open ON profile_segments (subject_id) "
    "WHERE rec_to IS NULL",
    "CREATE INDEX IF NOT EXISTS name_segments_open ON name_segments (subject_id) "
    "WHERE rec_to IS NULL",
]

TABLES = [LOG, MEASURE_SEGMENTS, PROFILE_SEGMENTS, NAME_SEGMENTS, *INDEXES]
VIEW_TABLES = ["ledger_log", "measure_segments", "profile_segments", "name_segments"]
