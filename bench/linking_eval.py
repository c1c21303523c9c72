"""How well and how fast the suggester finds the same subject on the UN and OFAC lists.

The UN Security Council list of 2018-10-29 and the OFAC SDN copy of 2022-01-31 (with that
day's ``alt.csv``) are imported into a new SQLite ledger, as ``ledger import`` does. The truth:
every UN/OFAC pair of subjects whose profiles carry the same passport or national ID number
(numbers compared in upper case with spaces and punctuation dropped, whichever of the two kinds
each side filed them under). Then:

1. Blind: the suggester weighs every UN/OFAC pair its candidate search finds with the
   identifiers hidden (names, birth dates, nationalities and kinds only). For each true pair,
   the OFAC subject's rank among the UN subject's suggestions (1 + those scored strictly
   higher): recall at 1 and at 3 (goal: >= 95% at 1), and the share found at the threshold.
2. As the service runs (identifiers visible): how many suggestions at or above the threshold
   pair two subjects whose identifiers conflict (both give a passport, or both a national ID,
   and no number is shared): goal 0. With the other suggestions above the threshold: true
   pairs, and pairs nothing can confirm or refute (no numbers on one side).
3. Speed: the time to weigh all pairs of the two lists through the service (``Suggester``,
   one thread, the names index already built), and suggestions (pairs weighed) per second.

A sweep of thresholds shows what the default trades. Run:
``.venv/bin/python bench/linking_eval.py [--json] [--project DIR]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import common
import linking_data

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.linking.suggest import Suggestion

UN, OFAC = "UN-SC", "US-OFAC"
SWEEP = (0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


@dataclass
class Run:
    """One weighing of all pairs: the suggestions, best first, and how long it took."""

    suggestions: list[Suggestion]
    seconds: float
    cpu_seconds: float
    """The process's CPU time over the run: what the machine's other load does not change."""


def weigh_all(services: Services, hide: bool) -> Run:
    from application.linking.suggest import Suggester, SuggestionRequest

    suggester = Suggester(services.reader, services.screening.indexed)
    point = services.reader.point()
    services.screening.indexed.reflecting(point.position)
    request = SuggestionRequest(UN, OFAC, min_score=0.0, hide_identifiers=hide)
    began, cpu = time.perf_counter(), time.process_time()
    found = suggester.suggestions(point, request)
    return Run(found, time.perf_counter() - began, time.process_time() - cpu)


def ranks(run: Run, truth: set[tuple[str, str]], *, strict: bool = False) -> list[int | None]:
    """Per true pair, the OFAC subject's rank among its UN subject's suggestions (None: not
    suggested at all): 1 + those scored strictly higher, so that namesakes tied at the top
    all rank first; or, ``strict``, its place in the list as the service orders it (ties
    broken by subject id)."""
    by_subject: dict[str, list[Suggestion]] = {}
    for suggestion in run.suggestions:
        by_subject.setdefault(suggestion.subject_a.subject_id, []).append(suggestion)
    found: list[int | None] = []
    for un_id, ofac_id in sorted(truth):
        mine = by_subject.get(un_id, [])
        place = next((i for i, s in enumerate(mine) if s.subject_b.subject_id == ofac_id), None)
        if place is None:
            found.append(None)
        elif strict:
            found.append(place + 1)
        else:
            found.append(1 + sum(s.score > mine[place].score for s in mine))
    return found


def scores_of(run: Run, truth: set[tuple[str, str]]) -> list[float | None]:
    scored = {(s.subject_a.subject_id, s.subject_b.subject_id): s.score for s in run.suggestions}
    return [scored.get(pair) for pair in sorted(truth)]


def percent(count: int, total: int) -> float:
    return 100.0 * count / total if total else float("nan")


def blind_report(
    run: Run,
    truth: set[tuple[str, str]],
    names: dict[str, str],
    threshold: float,
    project: str,
) -> common.Report:
    report = common.Report(
        f"UN 2018-10-29 against OFAC 2022-01-31: {len(truth)} pairs sharing a passport or "
        "national ID number, found with identifiers hidden",
        project,
        ["figure", "value"],
    )
    ranked = ranks(run, truth)
    scores = scores_of(run, truth)
    report.add("recall at 1 (%)", percent(sum(r == 1 for r in ranked), len(truth)))
    listed = ranks(run, truth, strict=True)
    report.add("recall at 1, ties as listed (%)", percent(sum(r == 1 for r in listed), len(truth)))
    report.add(
        "recall at 3 (%)", percent(sum(r is not None and r <= 3 for r in ranked), len(truth))
    )
    report.add(
        f"true pairs suggested at threshold {threshold} (%)",
        percent(sum(s is not None and s >= threshold for s in scores), len(truth)),
    )
    report.add("true pairs not among the candidates", sum(r is None for r in ranked))
    misses = [(pair, rank) for pair, rank in zip(sorted(truth), ranked, strict=True) if rank != 1]
    for (un_id, ofac_id), rank in misses[:20]:
        report.note(
            f"missed at 1: {names[un_id]!r} (UN) / {names[ofac_id]!r} (OFAC): "
            + ("not a candidate" if rank is None else f"rank {rank}")
        )
    return report


@dataclass
class Verdicts:
    """What the identifiers say of the suggestions at or above one threshold."""

    total: int = 0
    true: int = 0
    conflicting: int = 0
    unconfirmed: int = 0


def verdicts(
    suggestions: Sequence[Suggestion], threshold: float, truth: set[tuple[str, str]]
) -> Verdicts:
    tally = Verdicts()
    for suggestion in suggestions:
        if suggestion.score < threshold:
            break
        tally.total += 1
        pair = (suggestion.subject_a.subject_id, suggestion.subject_b.subject_id)
        if pair in truth:
            tally.true += 1
        elif linking_data.conflicting(suggestion.subject_a, suggestion.subject_b):
            tally.conflicting += 1
        else:
            tally.unconfirmed += 1
    return tally


def service_report(
    visible: Run, blind: Run, truth: set[tuple[str, str]], threshold: float, project: str
) -> common.Report:
    report = common.Report(
        "Suggestions by threshold, identifiers visible (as the service runs); recall blind",
        project,
        [
            "threshold",
            "suggested",
            "true pairs",
            "conflicting ids",
            "unconfirmed",
            "recall blind %",
        ],
    )
    blind_scores = scores_of(blind, truth)
    for cut in sorted({*SWEEP, threshold}):
        tally = verdicts(visible.suggestions, cut, truth)
        recall = percent(sum(s is not None and s >= cut for s in blind_scores), len(truth))
        label = f"{cut:.2f}" + (" (default)" if cut == threshold else "")
        report.add(label, tally.total, tally.true, tally.conflicting, tally.unconfirmed, recall)
    report.note(
        "conflicting ids: both sides give a passport (or a national ID) and share no number"
    )
    return report


def speed_report(runs: dict[str, Run], subjects: dict[str, int], project: str) -> common.Report:
    report = common.Report(
        "Weighing every UN/OFAC pair through the suggester (one thread)",
        project,
        ["run", "UN subjects", "pairs weighed", "seconds", "CPU seconds", "suggestions/s"],
    )
    for label, run in runs.items():
        count = len(run.suggestions)
        report.add(label, subjects[UN], count, run.seconds, run.cpu_seconds, count / run.seconds)
    report.note("suggestions/s: pairs weighed per second of wall time; the names index built")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common.common_arguments(parser)
    args = parser.parse_args()
    common.use_project(args.project)
    from application.linking.evidence import THRESHOLD

    project = common.project_label(args.project)
    load_before = common.load_average()
    with tempfile.TemporaryDirectory(prefix="linking-eval-") as folder:
        services, imported = linking_data.imported_ledger(Path(folder))
        try:
            common.progress(imported)
            profiles = linking_data.profiles(services)
            truth = linking_data.truth(profiles, UN, OFAC)
            subjects = linking_data.counts(profiles, (UN, OFAC))
            names = {subject_id: p.primary_name for subject_id, p in profiles.items()}
            common.progress(f"{subjects}; {len(truth)} true pairs")
            services.screening.indexed.refresh()
            blind = weigh_all(services, hide=True)
            common.progress(f"blind: {len(blind.suggestions):,} pairs in {blind.seconds:.1f} s")
            visible = weigh_all(services, hide=False)
            common.progress(
                f"visible: {len(visible.suggestions):,} pairs in {visible.seconds:.1f} s"
            )
        finally:
            services.close()
    reports = [
        blind_report(blind, truth, names, THRESHOLD, project),
        service_report(visible, blind, truth, THRESHOLD, project),
        speed_report(
            {"identifiers hidden": blind, "identifiers visible": visible}, subjects, project
        ),
    ]
    for report in reports:
        report.load_average_before = load_before
        report.show(args.json)


if __name__ == "__main__":
    main()
