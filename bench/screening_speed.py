"""Screening speed in the screening benchmark (``screening_eval.py``): the index against brute
force, one query at a time, on the OFAC list and on a synthetic corpus of generated names, with
the memory the index takes; and the report of both.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

import common
import screening_data
import screening_methods
import screening_recall

if TYPE_CHECKING:
    from application.screening.model import Hit


@dataclass
class Speed:
    """Screening speed of both methods on one corpus."""

    corpus: str
    names: int
    index: screening_methods.Tally
    brute: screening_methods.Tally
    index_on_brute_queries: screening_methods.Tally
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


def list_speed(run: screening_recall.ListRun, names: int, build_seconds: float) -> Speed:
    """The list's speed, from the screenings of the recall run: aliases in the index and
    ordinary names, each timed alone."""
    index, brute, paired = (
        screening_methods.Tally(),
        screening_methods.Tally(),
        screening_methods.Tally(),
    )
    for question in ("alias in index", "ordinary names"):
        index.seconds += run.tally(question, "index", "all").seconds
        brute.seconds += run.tally(question, "brute force", "sample").seconds
        paired.seconds += run.tally(question, "index", "sample").seconds
    for tally in (index, brute, paired):
        tally.queries = len(tally.seconds)
    return Speed("OFAC 2022-01-31", names, index, brute, paired, build_seconds)


def synthetic_speed(
    sizes: screening_methods.Sizes, repeats: int, draw: random.Random
) -> tuple[Speed, dict[str, float]]:
    """Build the index of the synthetic corpus and time both methods on it; and its memory."""
    from application.screening.model import Query

    common.progress(f"generating {sizes.synthetic:,} names")
    names = list(screening_data.generated_names(sizes.synthetic, screening_methods.SEED))
    fresh = [
        n.text
        for n in screening_data.generated_names(sizes.synthetic_queries, screening_methods.SEED + 1)
    ]
    gc.collect()
    before = common.rss_mib(os.getpid())
    records = screening_data.synthetic_records(names)
    gc.collect()
    with_records = common.rss_mib(os.getpid())
    common.progress(f"indexing {len(records):,} records")
    index, build_seconds = screening_methods.build_index(records)
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
    search = screening_methods.methods(index)
    index_tally = screening_methods.Tally()
    for repeat in range(repeats):
        for query in queries:
            hits, seconds = screening_methods.timed(search["index"], query)
            index_tally.add(hits, None, 1.0, seconds)
        common.progress(f"synthetic, index: repeat {repeat + 1} of {repeats}")
    brute, paired, same = screening_methods.Tally(), screening_methods.Tally(), 0
    for number, query in enumerate(draw.sample(queries, min(sizes.brute_queries, len(queries)))):
        hits, seconds = screening_methods.timed(search["index"], query)
        paired.add(hits, None, 1.0, seconds)
        exact, seconds = screening_methods.timed(search["brute force"], query)
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
