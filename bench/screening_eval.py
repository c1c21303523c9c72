"""How well and how fast the names index screens, against scoring every name (brute force).

1. Recall on a real list: the OFAC SDN copy of 2022-01-31 imported with that day's
   ``alt.csv`` into a new SQLite ledger, the index built from the views' profiles as the
   screening service builds it. Every alias of every entry is screened, and the entry itself
   must be the hit: recall@1 and recall@5 with the alias in the index (as the ledger holds it)
   and left out (the alias removed from its subject's record: the real test of fuzzy
   matching, since the query then matches only the entry's other names). False hits: the
   share of ordinary names (``faker``, seeded, several locales and scripts, none equal to a
   listed name) whose best hit reaches the threshold. The same figures by brute force (every
   name, the same scorer) on a seeded sample of the same queries: the index's candidate
   retrieval may lose only what its blocking misses, and recall@1 must stay within one point.
2. Speed, single-threaded on one pinned core: screenings per second and the p50/p99 latency
   of one screening on that list and on a synthetic corpus of a million generated names,
   against brute force on a sample of the same queries (brute force at a million names takes
   seconds per query). The goals: at a million names, at least 200 times faster than brute
   force and p99 under 50 ms; the resident memory of the index at a million names.
3. The examples: "Dmitry Yurevich Soin" must find SOIN, Dmitriy Yurevich first.

Queries give a name only: what a screening without any other detail finds. Ranks are taken
at threshold 0, so that a miss is a ranking miss; "found" counts the entry among the five
best with a score at the threshold, what a user would see.
Run: ``.venv/bin/python bench/screening_eval.py [--quick] [--json] [--synthetic N]
[--brute-sample N] [--brute-queries N] [--project DIR]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import common
import screening_data

if TYPE_CHECKING:
    from application.screening.index import NamesIndex
    from application.screening.model import Hit, ProfileRecord, Query

    Search = Callable[[Query], list[Hit]]

LIMIT = 5
RANKED = 50
"""Hits asked for in the recall runs: enough to see every subject tied with the one sought."""
SWEEP = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
SEED = 20220131
ORDINARY_NAMES = 2000
EXPECTED_SOIN = "SOIN, Dmitriy Yurevich"
EXAMPLES = ("Dmitry Yurevich Soin", "Соин Дмитрий Юрьевич", "Dmitrii Soyin")


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


# 1. Recall and false hits on the list ----------------------------------------------------


@dataclass
class ListRun:
    """Everything measured on the list: tallies by (question, method, queries)."""

    tallies: dict[tuple[str, str, str], Tally] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_hits: list[tuple[float, str]] = field(default_factory=list)
    locales: dict[str, Counter[str]] = field(default_factory=dict)

    def tally(self, question: str, method: str, queries: str) -> Tally:
        return self.tallies.setdefault((question, method, queries), Tally())


def screen_aliases(
    index: NamesIndex,
    cases: Sequence[tuple[int, screening_data.AliasCase]],
    left_out: bool,
    brute: set[int],
    threshold: float,
    run: ListRun,
) -> None:
    """Screen every alias (with it in the index, or with it removed from its record first),
    by the index, and by brute force for the queries in ``brute`` (by case number)."""
    from application.screening.model import Query

    question = "alias left out" if left_out else "alias in index"
    search = methods(index)
    for number, case in cases:
        if left_out:
            index.put(case.without_alias())
        query = Query(name=case.alias)
        hits, seconds = timed(search["index"], query)
        run.tally(question, "index", "all").add(hits, case.subject_id, threshold, seconds)
        if number in brute:
            run.tally(question, "index", "sample").add(hits, case.subject_id, threshold, seconds)
            exact, seconds = timed(search["brute force"], query)
            run.tally(question, "brute force", "sample").add(
                exact, case.subject_id, threshold, seconds
            )
        if left_out:
            index.put(case.record)
            if (not hits or hits[0].subject_id != case.subject_id) and len(run.misses) < 12:
                run.misses.append(miss(case, hits))
        if number % 2000 == 1999:
            common.progress(f"{question}: case {number + 1:,} screened")


def leave_one_out(
    records: Sequence[ProfileRecord],
    cases: Sequence[screening_data.AliasCase],
    brute: set[int],
    threshold: float,
    run: ListRun,
) -> None:
    """Screen every alias with it removed from its record (``put`` of the record without it,
    as the views would replace a row), in rounds: round n takes the n-th alias of every
    subject, on an index built afresh, so that each subject is replaced once per index and
    no earlier round's removals linger. What the index keeps of a replaced row's old names is
    part of what is measured."""
    rounds: list[list[tuple[int, screening_data.AliasCase]]] = []
    seen: Counter[str] = Counter()
    for number, case in enumerate(cases):
        turn = seen[case.subject_id]
        seen[case.subject_id] += 1
        if turn == len(rounds):
            rounds.append([])
        rounds[turn].append((number, case))
    for turn, round_cases in enumerate(rounds):
        index, _ = build_index(records)
        screen_aliases(index, round_cases, True, brute, threshold, run)
        if turn % 10 == 9:
            common.progress(f"alias left out: round {turn + 1} of {len(rounds)}")


def miss(case: screening_data.AliasCase, hits: list[Hit]) -> str:
    """A line saying what a left-out alias found instead of its subject."""
    primary = case.record.names[0][0]
    found = f"{hits[0].matched_name!r} {hits[0].score:.3f}" if hits else "nothing"
    return f"  {case.alias!r} ({case.name_type} of {primary!r}) -> {found}"


def screen_ordinary(
    index: NamesIndex,
    names: Sequence[screening_data.Name],
    brute: set[int],
    threshold: float,
    run: ListRun,
) -> None:
    """Screen names on no list: any hit at the threshold is a false hit."""
    from application.screening.model import Query

    search = methods(index)
    for number, name in enumerate(names):
        query = Query(name=name.text)
        hits, seconds = timed(search["index"], query)
        run.tally("ordinary names", "index", "all").add(hits, None, threshold, seconds)
        counts = run.locales.setdefault(name.locale, Counter())
        counts["names"] += 1
        if hits and hits[0].score >= threshold:
            counts["false hits"] += 1
            run.false_hits.append((hits[0].score, f"{name.text!r} -> {hits[0].matched_name!r}"))
        if number in brute:
            run.tally("ordinary names", "index", "sample").add(hits, None, threshold, seconds)
            exact, seconds = timed(search["brute force"], query)
            run.tally("ordinary names", "brute force", "sample").add(
                exact, None, threshold, seconds
            )


def recall_report(run: ListRun, threshold: float, project: str) -> common.Report:
    report = common.Report(
        "Screening recall, OFAC SDN 2022-01-31 with its alt.csv (name-only queries)",
        project,
        [
            "aliases",
            "method",
            "queries",
            "recall@1 %",
            "recall@5 %",
            f"found >= {threshold} %",
            "recall@1 strict %",
        ],
    )
    for question in ("alias in index", "alias left out"):
        rows = {}
        for method, queries in (("index", "all"), ("index", "sample"), ("brute force", "sample")):
            tally = run.tallies.get((question, method, queries))
            if tally is None:
                continue
            rows[method, queries] = tally
            report.add(
                question,
                f"{method} ({queries})",
                tally.queries,
                tally.percent(tally.first),
                tally.percent(tally.top),
                tally.percent(tally.found),
                tally.percent(tally.strict),
            )
        indexed, exact = rows.get(("index", "sample")), rows.get(("brute force", "sample"))
        if indexed and exact:
            gap = indexed.percent(indexed.first) - exact.percent(exact.first)
            report.add(
                question,
                "index - brute force",
                exact.queries,
                gap,
                indexed.percent(indexed.top) - exact.percent(exact.top),
                indexed.percent(indexed.found) - exact.percent(exact.found),
                indexed.percent(indexed.strict) - exact.percent(exact.strict),
            )
            verdict = "met" if abs(gap) <= 1 else "NOT met"
            report.note(
                f"{question}: recall@1 of the index within 1 point of brute force: {verdict} "
                f"({gap:+.2f} points on the same {exact.queries:,} queries)"
            )
    if run.misses:
        report.note("left-out aliases whose subject is not the top hit (first few):")
        report.notes.extend(run.misses)
    return report


def false_hit_report(run: ListRun, threshold: float, dropped: int, project: str) -> common.Report:
    report = common.Report(
        f"False hits of ordinary names (faker, {len(screening_data.LOCALES)} locales, seeded) "
        "on the OFAC list of 2022-01-31",
        project,
        ["method", "names", f"false hits >= {threshold} %", "best score p50", "best score p99"],
    )
    for method, queries in (("index", "all"), ("index", "sample"), ("brute force", "sample")):
        tally = run.tallies.get(("ordinary names", method, queries))
        if tally is not None:
            report.add(
                f"{method} ({queries})",
                tally.queries,
                tally.percent(tally.over_threshold),
                percentile(tally.best_scores, 0.5),
                percentile(tally.best_scores, 0.99),
            )
    report.note(f"generated names dropped for being listed names: {dropped}")
    by_locale = ", ".join(
        f"{locale} {counts['false hits']}/{counts['names']}"
        for locale, counts in sorted(run.locales.items())
    )
    report.note(f"false hits by locale (index): {by_locale}")
    if run.false_hits:
        report.note("the highest-scoring false hits (index):")
        report.notes.extend(
            f"  {score:.3f} {text}" for score, text in sorted(run.false_hits, reverse=True)[:10]
        )
    return report


def sweep_report(run: ListRun, project: str) -> common.Report:
    """Recall and false hits at other thresholds (the index, every query): where to set it."""
    report = common.Report(
        "Threshold sweep on the OFAC list (index): found = the subject among the first "
        f"{LIMIT} at the threshold",
        project,
        ["threshold", "found, alias in index %", "found, alias left out %", "false hits %"],
    )
    kept = run.tally("alias in index", "index", "all")
    left = run.tally("alias left out", "index", "all")
    ordinary = run.tally("ordinary names", "index", "all")
    for threshold in SWEEP:
        report.add(
            f"{threshold:.2f}",
            kept.found_at(threshold),
            left.found_at(threshold),
            ordinary.false_at(threshold),
        )
    return report


# 2. Speed ----------------------------------------------------------------------------------


@dataclass
class Speed:
    """Screening speed of both methods on one corpus."""

    corpus: str
    names: int
    index: Tally
    brute: Tally
    index_on_brute_queries: Tally
    build_seconds: float
    agreement: str = ""


def speed_rows(report: common.Report, speed: Speed) -> None:
    for label, tally in (
        ("index", speed.index),
        ("index (brute force's queries)", speed.index_on_brute_queries),
        ("brute force", speed.brute),
    ):
        report.add(
            speed.corpus,
            speed.names,
            label,
            tally.queries,
            tally.rate(),
            tally.latency_ms(0.5),
            tally.latency_ms(0.99),
        )
    faster = statistics.mean(speed.brute.seconds) / statistics.mean(
        speed.index_on_brute_queries.seconds
    )
    report.note(
        f"{speed.corpus}: index {faster:,.0f}x faster than brute force (mean latency on the "
        f"same {speed.brute.queries} queries); built at {speed.names / speed.build_seconds:,.0f} "
        f"names/s ({speed.build_seconds:.1f} s){speed.agreement}"
    )


def list_speed(run: ListRun, names: int, build_seconds: float) -> Speed:
    """The list's speed, from the screenings of the recall run: aliases in the index and
    ordinary names, each timed alone."""
    index, brute, paired = Tally(), Tally(), Tally()
    for question in ("alias in index", "ordinary names"):
        index.seconds += run.tally(question, "index", "all").seconds
        brute.seconds += run.tally(question, "brute force", "sample").seconds
        paired.seconds += run.tally(question, "index", "sample").seconds
    for tally in (index, brute, paired):
        tally.queries = len(tally.seconds)
    return Speed("OFAC 2022-01-31", names, index, brute, paired, build_seconds)


def synthetic_speed(
    sizes: Sizes, repeats: int, draw: random.Random
) -> tuple[Speed, dict[str, float]]:
    """Build the index of the synthetic corpus and time both methods on it; and its memory."""
    from application.screening.model import Query

    common.progress(f"generating {sizes.synthetic:,} names")
    names = list(screening_data.generated_names(sizes.synthetic, SEED))
    fresh = [n.text for n in screening_data.generated_names(sizes.synthetic_queries, SEED + 1)]
    gc.collect()
    before = common.rss_mib(os.getpid())
    records = screening_data.synthetic_records(names)
    gc.collect()
    with_records = common.rss_mib(os.getpid())
    common.progress(f"indexing {len(records):,} records")
    index, build_seconds = build_index(records)
    gc.collect()
    with_index = common.rss_mib(os.getpid())
    memory = {
        "process_rss_mib": with_index,
        "records_mib": with_records - before,
        "index_mib": with_index - with_records,
    }
    # Half the queries are corpus names with a typing error (a hit exists), half names of
    # another seed (mostly none): both paths through the index.
    half = sizes.synthetic_queries // 2
    queries = [
        Query(name=screening_data.misspelt(draw.choice(names).text, draw)) for _ in range(half)
    ] + [Query(name=text) for text in fresh[: sizes.synthetic_queries - half]]
    search = methods(index)
    index_tally = Tally()
    for repeat in range(repeats):
        for query in queries:
            hits, seconds = timed(search["index"], query)
            index_tally.add(hits, None, 1.0, seconds)
        common.progress(f"synthetic, index: repeat {repeat + 1} of {repeats}")
    brute, paired, same = Tally(), Tally(), 0
    for number, query in enumerate(draw.sample(queries, min(sizes.brute_queries, len(queries)))):
        hits, seconds = timed(search["index"], query)
        paired.add(hits, None, 1.0, seconds)
        exact, seconds = timed(search["brute force"], query)
        brute.add(exact, None, 1.0, seconds)
        same += same_best(hits, exact)
        common.progress(
            f"synthetic, brute force: {number + 1} of {sizes.brute_queries} ({seconds:.1f} s)"
        )
    speed = Speed(
        f"synthetic {sizes.synthetic:,}",
        len(index),
        index_tally,
        brute,
        paired,
        build_seconds,
        f"; top hit as brute force's on {same} of {brute.queries} queries",
    )
    return speed, memory


def same_best(hits: list[Hit], exact: list[Hit]) -> bool:
    """Whether the index's best hit is as good as brute force's (ties count as the same)."""
    if not exact:
        return not hits
    return bool(hits) and abs(hits[0].score - exact[0].score) < 1e-9


def speed_report(speeds: list[Speed], memory: dict[str, float], project: str) -> common.Report:
    report = common.Report(
        "Screening speed, one query at a time on one core",
        project,
        ["corpus", "names", "method", "queries", "screenings/s", "p50 ms", "p99 ms"],
    )
    for speed in speeds:
        speed_rows(report, speed)
    large = speeds[-1]
    faster = statistics.mean(large.brute.seconds) / statistics.mean(
        large.index_on_brute_queries.seconds
    )
    p99 = large.index.latency_ms(0.99)
    report.note(
        f"goals at {large.names:,} names: >= 200x brute force: "
        f"{'met' if faster >= 200 else 'NOT met'} ({faster:,.0f}x); p99 < 50 ms: "
        f"{'met' if p99 < 50 else 'NOT met'} ({p99:.1f} ms)"
    )
    report.note(
        f"memory at {large.names:,} names: process RSS {memory['process_rss_mib']:,.0f} MiB; "
        f"the index {memory['index_mib']:,.0f} MiB beyond its {memory['records_mib']:,.0f} MiB "
        "of profile records"
    )
    report.note(
        f"brute force timed on a seeded sample of {large.brute.queries} queries on the "
        "synthetic corpus (each takes seconds); the index on every query"
    )
    return report


# 3. The examples ---------------------------------------------------------------------------


def examples_report(
    index: NamesIndex, records: Sequence[ProfileRecord], project: str
) -> common.Report:
    from application.screening.model import Query

    report = common.Report(
        "Examples on the OFAC list of 2022-01-31",
        project,
        ["query", "method", "top hit (primary name)", "matched name", "score"],
    )
    primaries = {r.subject_id: r.names[0][0] for r in records}
    for text in EXAMPLES:
        for method, search in methods(index).items():
            hits = search(Query(name=text))
            if not hits:
                report.add(text, method, "nothing", "", 0.0)
                continue
            best = hits[0]
            report.add(
                text,
                method,
                primaries.get(best.subject_id, best.subject_id),
                best.matched_name,
                f"{best.score:.3f}",
            )
            if text == EXAMPLES[0] and method == "index":
                verdict = "met" if primaries.get(best.subject_id) == EXPECTED_SOIN else "NOT met"
                report.note(f"{text!r} -> {EXPECTED_SOIN!r} first: {verdict}")
    return report


# Running it --------------------------------------------------------------------------------


def pin_one_core() -> str:
    """Run on one core only, so that no library spreads a screening over several."""
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU {core} of {os.cpu_count()}"


def threshold_of(given: float | None) -> float:
    """The threshold asked for, or the one the scorer recommends, or 0.7."""
    if given is not None:
        return given
    from application.screening import scoring

    return float(getattr(scoring, "THRESHOLD", 0.7))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.set_defaults(repeats=3)
    parser.add_argument("--quick", action="store_true", help="smaller corpus and samples")
    parser.add_argument("--synthetic", type=int, help="names in the synthetic corpus")
    parser.add_argument("--brute-sample", type=int, help="list queries also by brute force")
    parser.add_argument("--brute-queries", type=int, help="synthetic queries by brute force")
    parser.add_argument("--threshold", type=float, help="default: the scorer's, or 0.7")
    args = parser.parse_args()
    common.use_project(args.project)
    base = QUICK if args.quick else FULL
    sizes = Sizes(
        synthetic=args.synthetic or base.synthetic,
        brute_sample=base.brute_sample if args.brute_sample is None else args.brute_sample,
        brute_queries=args.brute_queries or base.brute_queries,
        synthetic_queries=base.synthetic_queries,
    )
    load_before = common.load_average()
    pinned = pin_one_core()
    common.progress(pinned)
    project = common.project_label(args.project)
    threshold = threshold_of(args.threshold)
    draw = random.Random(SEED)

    with tempfile.TemporaryDirectory(prefix="bench-screening-") as folder:
        records, imported = screening_data.ofac_records(Path(folder))
    common.progress(
        f"imported {imported['listings']:,} listings ({imported['events']:,} events) in "
        f"{imported['import_seconds']:.1f} s, views in {imported['projection_seconds']:.1f} s"
    )
    index, build_seconds = build_index(records)
    cases = screening_data.alias_cases(records)
    listed = {screening_data.plain(name) for r in records for name, _ in r.names}
    ordinary, dropped = screening_data.ordinary_names(ORDINARY_NAMES, SEED, listed)
    common.progress(f"{len(index):,} names indexed; {len(cases):,} aliases to screen")

    run = ListRun()
    brute = sample(len(cases), sizes.brute_sample, draw)
    screen_aliases(index, list(enumerate(cases)), False, brute, threshold, run)
    leave_one_out(records, cases, brute, threshold, run)
    screen_ordinary(
        index, ordinary, sample(len(ordinary), sizes.brute_sample, draw), threshold, run
    )
    reports = [
        recall_report(run, threshold, project),
        false_hit_report(run, threshold, dropped, project),
        sweep_report(run, project),
    ]
    examples = examples_report(index, records, project)
    ofac_speed = list_speed(run, len(index), build_seconds)
    del index
    large, memory = synthetic_speed(sizes, args.repeats, draw)
    speed = speed_report([ofac_speed, large], memory, project)
    speed.note(f"{pinned}; threshold {threshold}")
    reports += [speed, examples]
    for report in reports:
        report.load_average_before = load_before
    if args.json:
        for report in reports:
            report.load_average_after = common.load_average()
        print(json.dumps([asdict(report) for report in reports], indent=2, default=str))
        return
    for report in reports:
        report.show(False)


if __name__ == "__main__":
    main()
