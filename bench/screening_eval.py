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
import json
import os
import random
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import common
import screening_data
import screening_methods
import screening_recall
import screening_speed

if TYPE_CHECKING:
    from application.screening.index import NamesIndex
    from application.screening.model import ProfileRecord

ORDINARY_NAMES = 2000
EXPECTED_SOIN = "SOIN, Dmitriy Yurevich"
EXAMPLES = ("Dmitry Yurevich Soin", "Соин Дмитрий Юрьевич", "Dmitrii Soyin")


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
        for method, search in screening_methods.methods(index).items():
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
    base = screening_methods.QUICK if args.quick else screening_methods.FULL
    sizes = screening_methods.Sizes(
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
    draw = random.Random(screening_methods.SEED)

    with tempfile.TemporaryDirectory(prefix="bench-screening-") as folder:
        records, imported = screening_data.ofac_records(Path(folder))
    common.progress(
        f"imported {imported['listings']:,} listings ({imported['events']:,} events) in "
        f"{imported['import_seconds']:.1f} s, views in {imported['projection_seconds']:.1f} s"
    )
    index, build_seconds = screening_methods.build_index(records)
    cases = screening_data.alias_cases(records)
    listed = {screening_data.plain(name) for r in records for name, _ in r.names}
    ordinary, dropped = screening_data.ordinary_names(
        ORDINARY_NAMES, screening_methods.SEED, listed
    )
    common.progress(f"{len(index):,} names indexed; {len(cases):,} aliases to screen")

    run = screening_recall.ListRun()
    brute = screening_methods.sample(len(cases), sizes.brute_sample, draw)
    screening_recall.screen_aliases(index, list(enumerate(cases)), False, brute, threshold, run)
    screening_recall.leave_one_out(records, cases, brute, threshold, run)
    screening_recall.screen_ordinary(
        index,
        ordinary,
        screening_methods.sample(len(ordinary), sizes.brute_sample, draw),
        threshold,
        run,
    )
    reports = [
        screening_recall.recall_report(run, threshold, project),
        screening_recall.false_hit_report(run, threshold, dropped, project),
        screening_recall.sweep_report(run, project),
    ]
    examples = examples_report(index, records, project)
    ofac_speed = screening_speed.list_speed(run, len(index), build_seconds)
    del index
    large, memory = screening_speed.synthetic_speed(sizes, args.repeats, draw)
    speed = screening_speed.speed_report([ofac_speed, large], memory, project)
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
