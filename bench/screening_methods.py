"""The two ways the screening benchmark (``screening_eval.py``) screens, and what it tallies.

The names index (its candidates, then the scorer) and brute force (the scorer on every name),
both at threshold 0 so that every rank is seen; the tally of what one method found for a set
of queries and how long each screening took; the sizes and seed of a run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.screening.index import NamesIndex
    from application.screening.model import Hit, ProfileRecord, Query

    Search = Callable[[Query], list[Hit]]

LIMIT = 5
RANKED = 50
"""Hits asked for in the recall runs: enough to see every subject tied with the one sought."""
SEED = 20220131


@dataclass(frozen=True)
class Sizes:
    synthetic: int
    """Names in the synthetic corpus."""
    brute_sample: int
    """Queries of the list screened by brute force as well (0: all)."""
    brute_queries: int
    """Queries of the synthetic corpus screened by brute force as well."""
    synthetic_queries: int
    """Queries screened by the index on the synthetic corpus, per repeat."""


FULL = Sizes(synthetic=1_000_000, brute_sample=400, brute_queries=20, synthetic_queries=2000)
QUICK = Sizes(synthetic=100_000, brute_sample=100, brute_queries=5, synthetic_queries=300)


# Measuring one method ---------------------------------------------------------------------


@dataclass
class Tally:
    """What one method found for one set of queries, and how long each screening took.

    A subject's rank counts the subjects scored strictly higher: subjects that share the very
    same name (branches of one organization, namesakes) tie, and a tie at the top is a hit.
    ``strict`` counts the subject first by position, ties broken by subject id as ``screen``
    orders them."""

    queries: int = 0
    first: int = 0
    strict: int = 0
    top: int = 0
    found: int = 0
    over_threshold: int = 0
    seconds: list[float] = field(default_factory=list)
    best_scores: list[float] = field(default_factory=list)
    target_scores: list[float | None] = field(default_factory=list)
    """The score of the subject sought when it ranks among the first ``LIMIT``, else None."""

    def add(self, hits: list[Hit], target: str | None, threshold: float, seconds: float) -> None:
        """One screening's hits; ``target`` is the subject it must find (None: none)."""
        self.queries += 1
        self.seconds.append(seconds)
        best = hits[0].score if hits else 0.0
        self.best_scores.append(best)
        self.over_threshold += best >= threshold
        if target is None:
            return
        mine = next((hit.score for hit in hits if hit.subject_id == target), None)
        rank = None if mine is None else 1 + sum(hit.score > mine for hit in hits)
        self.strict += bool(hits) and hits[0].subject_id == target
        if mine is None or rank is None or rank > LIMIT:
            self.target_scores.append(None)
            return
        self.target_scores.append(mine)
        self.first += rank == 1
        self.top += 1
        self.found += mine >= threshold

    def percent(self, count: int) -> float:
        return 100 * count / self.queries if self.queries else float("nan")

    def found_at(self, threshold: float) -> float:
        """The share of queries whose subject ranks among the first ``LIMIT`` at ``threshold``."""
        found = sum(score is not None and score >= threshold for score in self.target_scores)
        return self.percent(found)

    def false_at(self, threshold: float) -> float:
        """The share of queries whose best hit reaches ``threshold``."""
        return self.percent(sum(score >= threshold for score in self.best_scores))

    def rate(self) -> float:
        """Screenings per second, one after the other."""
        return len(self.seconds) / sum(self.seconds) if self.seconds else float("nan")

    def latency_ms(self, quantile: float) -> float:
        return 1000 * percentile(self.seconds, quantile)


def percentile(values: Sequence[float], quantile: float) -> float:
    """The value below which ``quantile`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(quantile * len(ordered)) - 1))]


def timed(search: Search, query: Query) -> tuple[list[Hit], float]:
    began = time.perf_counter()
    hits = search(query)
    return hits, time.perf_counter() - began


def open_rows(record: ProfileRecord) -> bool:
    """The rows of the ledger's present: the list as it stands after the import."""
    return record.rec_to is None and record.eff_to is None


def methods(index: NamesIndex) -> dict[str, Search]:
    """The two ways to screen: the index's candidates, and every name (the baseline). Both
    at threshold 0, so that every rank is seen."""

    def by_index(query: Query) -> list[Hit]:
        return index.screen(query, open_rows, RANKED, 0.0)

    def by_brute_force(query: Query) -> list[Hit]:
        return index.brute_force(query, open_rows, RANKED, 0.0)

    return {"index": by_index, "brute force": by_brute_force}


def build_index(records: Sequence[ProfileRecord]) -> tuple[NamesIndex, float]:
    """The index of ``records``; and the seconds it took to build."""
    from application.screening.index import NamesIndex

    began = time.perf_counter()
    index = NamesIndex()
    for record in records:
        index.put(record)
    return index, time.perf_counter() - began


def sample(count: int, size: int, draw: random.Random) -> set[int]:
    """Which of ``count`` queries go to brute force as well (``size`` 0: all)."""
    return set(range(count)) if size <= 0 or size >= count else set(draw.sample(range(count), size))
