"""Recall and false hits of the screening benchmark (``screening_eval.py``) on the OFAC list.

Every alias screened with it in the index and with it left out of its record, ordinary names
on no list screened for false hits, each by the index and, on a sample, by brute force; and
the reports of recall, false hits and the threshold sweep.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import common
import screening_data
import screening_methods

if TYPE_CHECKING:
    from application.screening.index import NamesIndex
    from application.screening.model import Hit, ProfileRecord

SWEEP = (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


@dataclass
class ListRun:
    """Everything measured on the list: tallies by (question, method, queries)."""

    tallies: dict[tuple[str, str, str], screening_methods.Tally] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    false_hits: list[tuple[float, str]] = field(default_factory=list)
    locales: dict[str, Counter[str]] = field(default_factory=dict)

    def tally(self, question: str, method: str, queries: str) -> screening_methods.Tally:
        return self.tallies.setdefault((question, method, queries), screening_methods.Tally())


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
    search = screening_methods.methods(index)
    for number, case in cases:
        if left_out:
            index.put(case.without_alias())
        query = Query(name=case.alias)
        hits, seconds = screening_methods.timed(search["index"], query)
        run.tally(question, "index", "all").add(hits, case.subject_id, threshold, seconds)
        if number in brute:
            run.tally(question, "index", "sample").add(hits, case.subject_id, threshold, seconds)
            exact, seconds = screening_methods.timed(search["brute force"], query)
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
        index, _ = screening_methods.build_index(records)
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

    search = screening_methods.methods(index)
    for number, name in enumerate(names):
        query = Query(name=name.text)
        hits, seconds = screening_methods.timed(search["index"], query)
        run.tally("ordinary names", "index", "all").add(hits, None, threshold, seconds)
        counts = run.locales.setdefault(name.locale, Counter())
        counts["names"] += 1
        if hits and hits[0].score >= threshold:
            counts["false hits"] += 1
            run.false_hits.append((hits[0].score, f"{name.text!r} -> {hits[0].matched_name!r}"))
        if number in brute:
            run.tally("ordinary names", "index", "sample").add(hits, None, threshold, seconds)
            exact, seconds = screening_methods.timed(search["brute force"], query)
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
                screening_methods.percentile(tally.best_scores, 0.5),
                screening_methods.percentile(tally.best_scores, 0.99),
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
        f"{screening_methods.LIMIT} at the threshold",
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
