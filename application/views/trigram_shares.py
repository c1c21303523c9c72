"""How common each trigram is among the names: which of a term's trigrams to ask an index for.

A trigram index (``name_search``) proposes the rows holding every trigram it is asked for,
and reads each trigram's whole list of rows to do so. A trigram most names hold (the ``ich``
of every ``...ovich``, the ``al`` of every ``al-...``) costs a read of most of the index, and
narrows nothing; one that few names hold costs little and narrows most. Which is which
depends on the names a ledger holds, so it is learned from them: a sample of the names
(those of the first ``SAMPLE_ROWS`` name rows in subject id order, a random draw since
subject ids are random UUIDs) is read, and each trigram's share of the sampled names
counted. A search then asks for the term's rarest trigrams.

The sample is taken on a process's first name search and again once it is ``MAX_AGE``
seconds old; it costs one indexed read of a few thousand rows. Which trigrams are asked
never changes an answer, only its cost: every row proposed is then tested exactly.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from application.views.store import ViewStore

SAMPLE_ROWS = 5000
"""Name rows sampled: a trigram held by fewer than one name in 5000 counts as rare, which is
a few hundred rows of the index at a million subjects."""

OVERLAP = 10.0
"""How many times as common a trigram overlapping one already asked for counts: it adds
little, since the names holding the one mostly hold the other."""
MAX_AGE = 600.0
"""Seconds a sample is used for before the next search takes another."""


@dataclass(frozen=True)
class TrigramShares:
    """The share of the sampled names holding each trigram."""

    shares: dict[str, float]
    names: int
    taken_at: float

    def rarest(self, grams: list[tuple[int, str]], count: int) -> list[str]:
        """The ``count`` trigrams of ``grams`` (each with its place in the term) that narrow
        the names most, in the order of the term: the rarest first, then each time the one
        the fewest names hold, counting one that overlaps a trigram taken (``ada`` after
        ``sad`` of ``sadai``: mostly held by the same names) as ``OVERLAP`` times as common.
        A trigram never sampled counts as held by none; ties go in the order of the term."""
        left = list(grams)
        taken: list[tuple[int, str]] = []

        def narrowing(placed: tuple[int, str]) -> tuple[float, float, int]:
            share = self.shares.get(placed[1], 0.0)
            apart = all(abs(placed[0] - place) >= 3 for place, _ in taken)
            return (share if apart else min(1.0, share * OVERLAP), share, placed[0])

        while left and len(taken) < count:
            best = min(left, key=narrowing)
            taken.append(best)
            left.remove(best)
        return [gram for _, gram in sorted(taken)]


def trigrams_of(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(len(text) - 2)}


def sample(views: ViewStore, clock: Callable[[], float] = time.monotonic) -> TrigramShares:
    """The shares of the trigrams among a sample of the names the views hold."""
    with views.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT normalized FROM name_segments ORDER BY subject_id LIMIT ?", [SAMPLE_ROWS]
        )
        names = [str(row["normalized"]) for row in cursor.fetchall()]
    counts: Counter[str] = Counter()
    for name in names:
        counts.update(trigrams_of(name))
    total = max(len(names), 1)
    return TrigramShares({gram: n / total for gram, n in counts.items()}, len(names), clock())


_taken: weakref.WeakKeyDictionary[ViewStore, TrigramShares] = weakref.WeakKeyDictionary()
_taking = threading.Lock()


def shares_of(views: ViewStore, clock: Callable[[], float] = time.monotonic) -> TrigramShares:
    """The views' sample, taken again when it is older than ``MAX_AGE`` (by one thread at a
    time: the others wait for it rather than each taking one)."""
    known = _taken.get(views)
    if known is not None and clock() - known.taken_at < MAX_AGE:
        return known
    with _taking:
        known = _taken.get(views)
        if known is None or clock() - known.taken_at >= MAX_AGE:
            known = _taken[views] = sample(views, clock)
    return known
