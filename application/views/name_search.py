"""Finding subjects by part of any of their names without reading every name.

A name search asks for the subjects one of whose normalized names (see ``rows.normalize``)
contains the normalized term, one page at a time in subject id order. Reading every name to
answer it costs the same for every term, and grows with the ledger. Each store therefore
keeps an index of the names' trigrams (every run of three characters; see ``schema``), which
proposes the rows that hold all the trigrams of a term; each proposed row is then checked
exactly (its text contains the term, it holds at the point asked), so the answers are those
of reading every name. The search ends as a condition on the page's profile rows: the ids of
the subjects found, or, where the index cannot help, the exact test itself for the page query
to apply to the subjects in id order.

- **SQLite** (FTS5): the index's rowids follow the subject ids (``schema.SQLITE_NAME_SEARCH``),
  so the search walks the proposed rows in page order, from the page's cursor on, and stops
  once it holds a page of subjects: a rare term costs the rows that hold it, a common one about
  a page's worth, whatever the size of the ledger. Only a page that other filters narrow too
  (a program, a country...) cannot stop early, since the filters may reject any of the subjects
  found: its walk reads every proposed row, up to ``CANDIDATES`` of them, and leaves a term
  proposed by more to the page query.
- **PostgreSQL** (pg_trgm's GIN index): the index proposes rows in no useful order, so a term
  is looked up whole when at most ``POSTGRES_CANDIDATES`` rows hold it (at any time). A page
  with its measures asks the index in its own statement (``proposing``, used by
  ``queries.ViewQueries.subject_texts_with_measures``), counting the rows proposed: past the
  limit, it reads the page again by the exact test.

A term the index cannot serve (shorter than three characters, or proposed by more rows than
that) is left to the page query, which reads the subjects in id order and stops when the page
is full: quick for a common term, and a term proposed by that many rows is common (PostgreSQL's
planner may instead join the names the index finds, where it judges that cheaper). A term of
one or two characters has no trigram; such a term is nearly always common (a letter, a
syllable), and the rare exception (a two-character name in Chinese script) still gets its
exact answer, reading the subjects through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.stores.sqlite_views import names_indexed
from application.views.like import substring
from application.views.schema import SEARCH_ROW_BITS, SQLITE_NAME_SEARCH
from application.views.store import SQLiteViews, ViewStore
from application.views.trigram_shares import TrigramShares, shares_of

MIN_INDEXED = 3
"""The shortest term (in characters) a trigram index can look up."""

CANDIDATES = 2000
"""The most rows of the index a search reads before it leaves the term to the page query.

Each proposed row costs a look-up; a common term's page costs about a page's worth divided
by the share of subjects that hold it. Beyond 2000 rows the second is the cheaper."""

POSTGRES_CANDIDATES = 10_000
"""The same on PostgreSQL, where the index's rows come in no useful order and reading the
subjects in id order costs more (a heap visit for each profile and each name): the index
is worth reading longer. Its rows are read a page of the table at a time (a bitmap scan)."""

TRIGRAMS = 3
"""The most trigrams of a term asked of the index: the three its names hold least
(``trigram_shares``). Three rare ones propose few rows that do not hold the term, and each
trigram more is another list to intersect: all 26 of a long name cost ten times as much as
three, on a million names."""

LAST_ROWID = (1 << 63) - 1

EXACT = (
    "EXISTS (SELECT 1 FROM name_segments n WHERE n.subject_id = p.subject_id "
    "AND n.eff_from = p.eff_from AND n.rec_from = p.rec_from "
    "AND n.normalized LIKE ? ESCAPE '!')"
)
"""The exact test of a profile row ``p``: one of its names contains the pattern."""


@dataclass(frozen=True)
class NameSearch:
    """One page's name search."""

    term: str
    """The normalized term."""
    pattern: str
    """The term as a LIKE pattern escaped by ``!``."""
    validity: tuple[str, list[Any]]
    """The condition (and its parameters) that a name row ``n`` holds at the point asked."""
    after: str | None
    """The page's cursor: the last subject id of the page before."""
    limit: int
    alone: bool
    """No other filter narrows the page: every subject found is on it."""


def name_condition(views: ViewStore, search: NameSearch) -> tuple[str, list[Any]]:
    """The condition (and its parameters) on a profile row ``p`` that one of its names
    contains the term, at the point asked."""
    exact = exact_condition(search)
    if len(search.term) < MIN_INDEXED:
        return exact
    if isinstance(views, SQLiteViews):
        found = _walk(views, search)
        if found:
            marks = ", ".join("?" for _ in found)
            return f"p.subject_id IN ({marks}) AND {EXACT}", [*found, search.pattern]
    else:
        found = _look_up(views, search)
        if found:
            # One array rather than thousands of parameters; the primary key reads it in order.
            # No exact test again: each subject found has a name row holding the term at the
            # point asked, and a name row holds exactly when its profile row does (same key,
            # same periods), so the profile row the page reads is the one that has that name.
            # With the test, planning the page took PostgreSQL about five times as long.
            return "p.subject_id = ANY(?)", [found]
    if found is None:
        return exact
    return "1 = 0", []


def exact_condition(search: NameSearch) -> tuple[str, list[Any]]:
    """The exact test of a profile row ``p`` (and its parameters), with no index."""
    return EXACT, [search.pattern]


@dataclass(frozen=True)
class Proposal:
    """PostgreSQL: a query (and its parameters) of the name rows the index proposes for a
    term, up to one more than ``most``, each with ``subject_id`` and ``hit`` (1 where it
    holds the term at the point asked). Its LIKE is the exact test: case-sensitive, on
    folded text."""

    sql: str
    params: list[Any]
    most: int
    """More rows than this are too many to read a page by (``POSTGRES_CANDIDATES``)."""


def proposing(views: ViewStore, search: NameSearch) -> Proposal | None:
    """The rows the index proposes for the term (``Proposal``); None on SQLite, or where
    the term is too short for the index."""
    if isinstance(views, SQLiteViews) or len(search.term) < MIN_INDEXED:
        return None
    condition, params = search.validity
    grams = _trigrams(search.term, shares_of(views))
    # The index is asked for a few trigrams (a LIKE of three characters is one trigram to
    # pg_trgm); the whole pattern, out of its reach, is then the exact test of each row.
    sql = (
        f"SELECT n.subject_id AS subject_id, CASE WHEN {condition} THEN 1 ELSE 0 END "
        "AS hit FROM name_segments n WHERE "
        + " AND ".join("n.normalized LIKE ? ESCAPE '!'" for _ in grams)
        + " AND (n.normalized || '') LIKE ? ESCAPE '!' LIMIT ?"
    )
    likes = [substring(gram) for gram in grams]
    most = POSTGRES_CANDIDATES
    return Proposal(sql, [*params, *likes, search.pattern, most + 1], most)


def _look_up(views: ViewStore, search: NameSearch) -> list[str] | None:
    """PostgreSQL: every subject after the cursor with a name holding the term, in id order;
    None when more than ``POSTGRES_CANDIDATES`` rows hold it (the planner may then read the
    table rather than the index, which the limit keeps short)."""
    proposal = proposing(views, search)
    assert proposal is not None, "looked up on PostgreSQL, with a term of three characters"
    with views.transaction(commit=False) as cursor:
        cursor.execute(proposal.sql, proposal.params)
        rows = cursor.fetchall()
    if len(rows) > proposal.most:
        return None
    after = search.after or ""
    return sorted({row["subject_id"] for row in rows if row["hit"] and row["subject_id"] > after})


def _walk(views: ViewStore, search: NameSearch) -> list[str] | None:
    """SQLite: the subjects after the cursor with a name holding the term, in id order, as
    many as the page needs (all of them unless the search is ``alone``); None when a search
    that is not alone would read more than ``CANDIDATES`` rows of the index, or when the
    index may lack names (``schema.SQLITE_NAME_SEARCH_LIVE``).

    A search alone never gives up: its walk reads no more rows than reading the subjects in
    id order would, and only the rows that hold the term's trigrams."""
    condition, params = search.validity
    sql = (
        f"SELECT s.r AS r, s.subject_id AS subject_id, CASE WHEN n.subject_id IS NOT NULL "
        f"AND {condition} AND n.normalized LIKE ? ESCAPE '!' THEN 1 ELSE 0 END AS hit "
        f"FROM (SELECT rowid AS r, subject_id, eff_from, rec_from, ordinal "
        f"FROM {SQLITE_NAME_SEARCH} WHERE {SQLITE_NAME_SEARCH} MATCH ? "
        "AND rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?) s "
        "LEFT JOIN name_segments n ON n.subject_id = s.subject_id "
        "AND n.eff_from = s.eff_from AND n.rec_from = s.rec_from AND n.ordinal = s.ordinal "
        "ORDER BY s.r"
    )
    after = search.after or ""
    query = _query(search.term, shares_of(views))
    found: set[str] = set()
    first, last = _group(after) << SEARCH_ROW_BITS, LAST_ROWID
    read, batch = 0, search.limit + 1
    with views.transaction(commit=False) as cursor:
        if not names_indexed(cursor):
            return None  # a rebuild set the index aside: it may lack names
        while True:
            values = [*params, search.pattern, query, first, last, batch]
            cursor.execute(sql, values)
            rows = cursor.fetchall()
            read += len(rows)
            found.update(r["subject_id"] for r in rows if r["hit"] and r["subject_id"] > after)
            if len(rows) < batch or rows[-1]["r"] >= last:
                # Every row up to ``last`` read: all the subjects there are, or (where the
                # walk stopped early) every one that can come first.
                return sorted(found)[: search.limit] if search.alone else sorted(found)
            first = rows[-1]["r"] + 1
            finishing = last < LAST_ROWID  # the last group of a full page, read to its end
            if not finishing and search.alone and len(found) >= search.limit:
                # A page's worth: read the rest of the last row's 40-bit group (ids are not
                # in order inside one), and no further.
                last = (((rows[-1]["r"] >> SEARCH_ROW_BITS) + 1) << SEARCH_ROW_BITS) - 1
            elif not search.alone and read > CANDIDATES:
                return None
            batch = min(batch * 2, CANDIDATES)


def _group(subject_id: str) -> int:
    """The 40-bit group of a subject id (its first ten hex digits), as the index's rowids
    hold it; 0 for text that is no UUID (a search then starts at the beginning)."""
    try:
        return int(subject_id[:8] + subject_id[9:11], 16) if subject_id else 0
    except ValueError:
        return 0


def _trigrams(term: str, shares: TrigramShares | None) -> list[str]:
    """Up to ``TRIGRAMS`` of the term's trigrams: those that narrow the names most, by
    ``shares`` (``trigram_shares``: the rarest, preferring trigrams apart from each other),
    else (no sample, or one of a ledger without names yet) spread over the term, the first
    and last among them. Those within one word come first: a space joins common pairs of
    words (``al``, ``bin``), and PostgreSQL's pg_trgm takes a space as the end of a word
    rather than a character."""
    first: dict[str, int] = {}
    for place in range(len(term) - 2):
        first.setdefault(term[place : place + 3], place)
    placed = [(place, gram) for gram, place in first.items() if " " not in gram]
    placed = placed or [(place, gram) for gram, place in first.items()]
    if len(placed) <= TRIGRAMS:
        return [gram for _, gram in placed]
    if shares is not None and shares.names:
        return shares.rarest(placed, TRIGRAMS)
    step = (len(placed) - 1) / (TRIGRAMS - 1)
    return [placed[round(i * step)][1] for i in range(TRIGRAMS)]


def _query(term: str, shares: TrigramShares | None) -> str:
    """An FTS5 query for the rows holding each of the term's ``_trigrams``. A normalized term
    holds letters, digits and spaces only; each trigram is quoted anyway, its quotes doubled,
    as FTS5 requires."""
    grams = _trigrams(term, shares)
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)
