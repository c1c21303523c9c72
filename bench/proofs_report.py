"""How the Merkle log's benchmark (``proofs.py``) reports: one row per figure against its
baseline, with the ratio and the goal, and notes saying what each baseline is.
"""

from __future__ import annotations

import statistics

import common
import proofs_data
import proofs_measures
import rebuild

GOALS = {"writes": ">= 0.8", "inclusion": "p50 < 5 ms", "verify": ">= 0.5"}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (0.5, 0.99) of the values."""
    return float(statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1])


def ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.2f}" if theirs else "-"


def add_writes(
    report: common.Report, sizes: proofs_measures.Sizes, results: dict[str, list[float]]
) -> None:
    for n in sizes.threads:
        mine = common.median(results[f"{n}|with"])
        theirs = common.median(results[f"{n}|without"])
        report.add(
            f"writes, {n} threads (events/s)", mine, theirs, ratio(mine, theirs), GOALS["writes"]
        )


def add_proofs(
    report: common.Report, sizes: proofs_measures.Sizes, latencies: proofs_measures.Latencies
) -> None:
    floor = {share: percentile(latencies.floor, share) for share in (0.5, 0.99)}
    for name, values in (
        ("inclusion proof", latencies.inclusion),
        ("consistency proof", latencies.consistency),
    ):
        for share in (0.5, 0.99):
            mine = percentile(values, share)
            goal = GOALS["inclusion"] if name == "inclusion proof" and share == 0.5 else ""
            report.add(
                f"{name}, {sizes.leaves:,} leaves, p{share * 100:.0f} (ms)",
                mine,
                floor[share],
                ratio(mine, floor[share]),
                goal,
            )


def add_log(report: common.Report, figures: proofs_measures.LogFigures) -> None:
    results = figures.results
    scanned = common.median(results["scan"])
    verified = common.median(results["verify"])
    report.add(
        f"verify, {figures.events:,} events (events/s)",
        verified,
        scanned,
        ratio(verified, scanned),
        GOALS["verify"],
    )
    if "export" not in results:
        report.add("export (events/s)", "TODO", scanned, "-", "")
        report.add("replay (events/s)", "TODO", figures.build_rate, "-", "")
        report.note(
            "export, replay: TODO, not measured: the ledger command has no export / replay yet"
        )
        return
    exported, replayed = common.median(results["export"]), common.median(results["replay"])
    report.note(
        f"export, replay: each a process; the ledger command starts in {figures.start_up:.1f} s "
        "(ledger --help), included in their figures"
    )
    report.add("export (events/s)", exported, scanned, ratio(exported, scanned), "")
    report.add(
        "replay (events/s)", replayed, figures.build_rate, ratio(replayed, figures.build_rate), ""
    )


def notes(
    report: common.Report, stores: proofs_data.Stores, sizes: proofs_measures.Sizes, built: float
) -> None:
    for text in (
        f"store: {stores.describe()}",
        "writes: baseline = the same ledger with tree maintenance switched off in the "
        "benchmark's process (no entries prepared, no leaves appended); "
        f"{sizes.seconds:g} s per run",
        f"proofs: a tree of {sizes.leaves:,} SYNTHETIC leaves (positions 1 to "
        f"{sizes.leaves:,}, no events), appended straight to the tree's tables in batches of "
        f"{proofs_data.TREE_BATCH:,} ({built:.0f} s); {sizes.samples:,} samples each, random "
        "leaves and first sizes, proofs at the full size through Proofs.inclusion and "
        "Proofs.consistency (the event's position looked up without the events' table); "
        "baseline = one read transaction reading one leaf",
        "verify: baseline = raw scan + decode of the same log (pages of "
        f"{rebuild.PAGE:,}, mapper.to_domain_event each)",
        "export: baseline = the raw scan; replay: baseline = the rate the ledger was "
        "recorded at by scale_data (recorder.insert_events in batches, tree kept; "
        "measured once)",
    ):
        report.note(text)
