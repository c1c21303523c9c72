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

LINK_SEGMENTS = """
CREATE TABLE IF NOT EXISTS link_segments (
    link_id TEXT NOT NULL,
    eff_from TEXT NOT NULL,
    rec_from BIGINT NOT NULL,
    eff_to TEXT,
    rec_to BIGINT,
    subject_a TEXT NOT NULL,
    subject_b TEXT NOT NULL,
    status TEXT NOT NULL,
    digest TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (link_id, eff_from, rec_from)
)"""
"""The decisions about pairs of subjects (``domain.link``), one row per period of effective
time a decision holds over (``status``: linked, unlinked or rejected), with the same two
periods as every other view row; ``subject_a`` is the smaller id of the pair."""

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
    # A delta between two effective times looks only at the rows that begin or end between
    # them (application/changes.py).
    "CREATE INDEX IF NOT EXISTS measure_segments_eff_from ON measure_segments (eff_from)",
    "CREATE INDEX IF NOT EXISTS measure_segments_eff_to ON measure_segments (eff_to)",
    "CREATE INDEX IF NOT EXISTS profile_segments_eff_from ON profile_segments (eff_from)",
    "CREATE INDEX IF NOT EXISTS profile_segments_eff_to ON profile_segments (eff_to)",
    # The screening index takes in the profile rows recorded or closed since it last looked
    # (application/screening/source.py).
    "CREATE INDEX IF NOT EXISTS profile_segments_rec_from ON profile_segments (rec_from)",
    "CREATE INDEX IF NOT EXISTS profile_segments_rec_to ON profile_segments (rec_to)",
    # A cluster is walked from subject to subject through its links; a delta looks at the
    # link rows recorded, closed, starting or ending between its two points.
    "CREATE INDEX IF NOT EXISTS link_segments_a ON link_segments (subject_a, rec_from)",
    "CREATE INDEX IF NOT EXISTS link_segments_b ON link_segments (subject_b, rec_from)",
    "CREATE INDEX IF NOT EXISTS link_segments_open ON link_segments (link_id) WHERE rec_to IS NULL",
    "CREATE INDEX IF NOT EXISTS link_segments_rec_from ON link_segments (rec_from)",
    "CREATE INDEX IF NOT EXISTS link_segments_rec_to ON link_segments (rec_to)",
    "CREATE INDEX IF NOT EXISTS link_segments_eff_from ON link_segments (eff_from)",
    "CREATE INDEX IF NOT EXISTS link_segments_eff_to ON link_segments (eff_to)",
]

TABLES = [LOG, MEASURE_SEGMENTS, PROFILE_SEGMENTS, NAME_SEGMENTS, LINK_SEGMENTS, *INDEXES]

# Name search ----------------------------------------------------------------------------
# A search by part of a name must not read every name: each store keeps an index of the
# normalized names' trigrams (every run of three characters), which finds the rows holding a
# term of three characters or more. The index only proposes rows; the query then checks each
# one exactly (see application/views/name_search.py), so the answers are those of a scan.

SQLITE_NAME_SEARCH = "name_search"
"""SQLite's index of the names: an FTS5 table with the trigram tokenizer, one row per row of
name_segments, holding its key beside its normalized text.

Its rowids follow the subjects' ids, so that a search can walk the rows holding a term in the
order pages are read, and stop once a page is full: a rowid is the first 40 bits of the
subject's UUID, then 23 bits counting the rows of the subjects that share them (see
``SQLITE_SEARCH_ROWID``). Subject ids are UUIDs written as text, lowercase, whose order is
that of their bits.
It keeps the key as its own (unindexed) columns rather than pointing at name_segments' rowid
(which VACUUM may renumber in a table without an INTEGER PRIMARY KEY). Triggers keep it in step
with name_segments, so writers of that table need not know it exists: a row is added for every
row inserted, and for every row whose text or key is updated; nothing is removed when rows go
(only ViewStore.reset and the swap of a split rebuild delete from name_segments, and each
empties this table too). An entry left
behind can only propose a row that the exact check then finds missing or different: the index
may hold more than name_segments, never less. It stores no positions (``detail=none``): a
search asks for a few of the term's trigrams and checks every row proposed exactly. Case is
kept (``case_sensitive 1``): the text is already folded."""

SEARCH_ROW_BITS = 23
"""The low bits of a name_search rowid: the rows of subjects sharing their first 40 bits."""


def _subject_prefix(column: str) -> str:
    """SQL for the first 40 bits (10 hex digits) of a UUID's text, as an integer."""
    positions = [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]  # the 9th character is a dash
    digits = [
        f"(instr('0123456789abcdef', substr({column}, {position}, 1)) - 1) * {16 ** (9 - k)}"
        for k, position in enumerate(positions)
    ]
    return "(" + " + ".join(digits) + ")"


_BASE = f"({_subject_prefix('new.subject_id')} * {2**SEARCH_ROW_BITS})"
SQLITE_SEARCH_ROWID = (
    f"COALESCE((SELECT rowid + 1 FROM {SQLITE_NAME_SEARCH} WHERE rowid >= {_BASE} "
    f"AND rowid < {_BASE} + {2**SEARCH_ROW_BITS} ORDER BY rowid DESC LIMIT 1), {_BASE})"
)
"""The next rowid among the subject's: after the last one of its 40-bit group."""

SQLITE_NAME_SEARCH_TABLE = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_NAME_SEARCH} USING fts5(
    normalized,
    subject_id UNINDEXED,
    eff_from UNINDEXED,
    rec_from UNINDEXED,
    ordinal UNINDEXED,
    tokenize = 'trigram case_sensitive 1',
    detail = none,
    columnsize = 0
)"""

_SQLITE_NAME_SEARCH_ROW = (
    f"INSERT INTO {SQLITE_NAME_SEARCH} "
    "(rowid, normalized, subject_id, eff_from, rec_from, ordinal) "
    f"VALUES ({SQLITE_SEARCH_ROWID}, new.normalized, new.subject_id, new.eff_from, "
    "new.rec_from, new.ordinal);"
)

SQLITE_NAME_SEARCH_TRIGGERS = ("name_segments_search_insert", "name_segments_search_update")
_ON_INSERT, _ON_UPDATE = SQLITE_NAME_SEARCH_TRIGGERS

SQLITE_NAME_SEARCH_STATEMENTS = [
    SQLITE_NAME_SEARCH_TABLE,
    f"CREATE TRIGGER IF NOT EXISTS {_ON_INSERT} AFTER INSERT ON name_segments "
    f"BEGIN {_SQLITE_NAME_SEARCH_ROW} END",
    f"CREATE TRIGGER IF NOT EXISTS {_ON_UPDATE} "
    "AFTER UPDATE OF normalized, subject_id, eff_from, rec_from, ordinal ON name_segments "
    f"BEGIN {_SQLITE_NAME_SEARCH_ROW} END",
]

_PREFIX = _subject_prefix("subject_id")
SQLITE_NAME_SEARCH_FILL = (
    f"INSERT INTO {SQLITE_NAME_SEARCH} "
    "(rowid, normalized, subject_id, eff_from, rec_from, ordinal) "
    f"SELECT prefix * {2**SEARCH_ROW_BITS} + row_number() OVER (PARTITION BY prefix "
    "ORDER BY subject_id, eff_from, rec_from, ordinal) - 1, "
    "normalized, subject_id, eff_from, rec_from, ordinal "
    f"FROM (SELECT {_PREFIX} AS prefix, normalized, subject_id, eff_from, rec_from, ordinal "
    "FROM name_segments)"
)
"""Every row of name_segments into the (empty) name index in one statement, with the rowids
the insert trigger would have given them in order: far faster than a row at a time."""

SQLITE_NAME_SEARCH_LIVE = (
    "SELECT COUNT(*) AS live FROM sqlite_master WHERE type = 'trigger' "
    f"AND name IN ('{_ON_INSERT}', '{_ON_UPDATE}')"
)
"""How many of the name index's triggers stand: two while the index is kept.

The triggers are only ever made in the transaction that fills the index from name_segments
(``SQLITE_NAME_SEARCH_REFILL``), so while both stand the index holds every name row. While
either is missing (a rebuild set them aside, and a projector of any process may have written
names since) it may lack some, and a search reads the names themselves rather than trust
it."""

SQLITE_NAME_SEARCH_REFILL = [
    f"DROP TABLE IF EXISTS {SQLITE_NAME_SEARCH}",
    *SQLITE_NAME_SEARCH_STATEMENTS[:1],
    SQLITE_NAME_SEARCH_FILL,
    *SQLITE_NAME_SEARCH_STATEMENTS[1:],
]
"""The name index made again from every row of name_segments, and its triggers with it, in
the caller's transaction. Dropping the table costs next to nothing, where deleting its rows
takes each one's trigrams out of the index in turn."""

SET_ASIDE = [
    statement.split(" IF NOT EXISTS ")[1].split()[0]
    for statement in INDEXES
    if " WHERE rec_to IS NULL" not in statement
]
"""The indexes a rebuild drops while it projects the whole log, and builds again at its end
(sorting every row once costs far less than keeping each index in order row by row). The
projector's own lookups use the others (the open rows of a subject or a link) and the
primary keys, which stay. A rebuild stopped half way leaves them missing until a process
creates the views' tables again (every start does), so that reads are slower, never
different."""


POSTGRES_NAME_SEARCH_INDEX = "name_segments_trigrams"

POSTGRES_NAME_SEARCH = f"""
DO $name_search$
DECLARE
    trgm_schema name;
BEGIN
    -- pg_trgm belongs to the database, not to one ledger's schema: it is made in public
    -- (dropping a ledger's schema must not drop it from under the others) or used where it
    -- already is. The caller holds the database's creation lock, so two ledgers starting at
    -- once on one database do not both create it; anyone else racing us is tolerated too.
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
        EXCEPTION WHEN unique_violation OR duplicate_object THEN
            NULL;
        END;
    END IF;
    SELECT n.nspname INTO trgm_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    -- One index over every row, open and closed: searches at a past position need the
    -- closed rows, and a search now only skips the few superseded ones.
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS {POSTGRES_NAME_SEARCH_INDEX} ON name_segments '
        'USING gin (normalized %I.gin_trgm_ops) WITH (gin_pending_list_limit = 256)',
        trgm_schema
    );
    -- Every search reads the whole list of rows not yet merged into the index (up to 4 MB
    -- by default: 2 ms a search); 256 kB keeps that read short. Set on an index made
    -- before too.
    IF NOT EXISTS (
        SELECT 1 FROM pg_class
        WHERE oid = '{POSTGRES_NAME_SEARCH_INDEX}'::regclass
        AND 'gin_pending_list_limit=256' = ANY(reloptions)
    ) THEN
        ALTER INDEX {POSTGRES_NAME_SEARCH_INDEX} SET (gin_pending_list_limit = 256);
    END IF;
END
$name_search$"""
"""PostgreSQL's index of the names: a GIN index of pg_trgm's trigrams on name_segments.

Run with the search path set to the ledger's schema (where name_segments is), under the
database's creation lock."""
VIEW_TABLES = [
    "ledger_log",
    "measure_segments",
    "profile_segments",
    "name_segments",
    "link_segments",
]

KNOWN_FROM = (
    "UPDATE ledger_log SET known_from = latest.known_from FROM ("
    "SELECT position, MAX(recorded_at) OVER (ORDER BY position) AS known_from "
    "FROM ledger_log) AS latest "
    "WHERE ledger_log.position = latest.position AND ledger_log.known_from <> latest.known_from"
)
"""Each log row's ``known_from`` made the latest recorded time up to it, as a projector in one
process writes it: the parts of a split rebuild (``application.views.split_rebuild``) each
knew only their own events' times. Both dialects read it alike; on SQLite ``ledger_log`` is
the main database's, before any attached part's."""
