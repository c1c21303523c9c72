"""What the Merkle log costs: writes with the tree, proofs at a million leaves, verification.

The ledger keeps a Merkle tree of its log in the transaction of the events
(``application.proofs``). Each figure below is measured against a baseline in the same run,
the two sides interleaved, ``--repeats`` times, medians reported:

1. writes: events/s of concurrent ``Ledger.execute(RegisterSubject(...))`` (two events each,
   as ``commit_throughput.py`` writes them) with the tree maintained, against the same code
   with tree maintenance switched off in this process only (``proofs_data.tree_switched_off``),
   each side on a store of its own. The goal: with / without at least 0.8.
2. proofs: latency p50 and p99 of ``Proofs.inclusion`` (an event's audit path and the root)
   and ``Proofs.consistency`` (from a random size to the full tree) on a tree of ``--leaves``
   synthetic leaves appended straight to the tree's tables (see ``proofs_data``), random
   leaves at the full size, against the floor of any answer: one read transaction of the tree
   reading one leaf. The goal: inclusion p50 under 5 ms at 1,000,000 leaves.
3. verify: events/s of ``Proofs.verify()`` (what ``ledger verify`` runs: every event read raw,
   its leaf recomputed, the tree recomputed from its leaves) on a ledger of ``--events`` real
   events (``scale_data.py``), against a raw scan of the same log
   (``recorder.select_notifications`` pages and ``mapper.to_domain_event`` for each, as
   ``rebuild.py`` scans). The goal: verify / scan at least 0.5.
4. export and replay: events/s of ``ledger export FILE`` and ``ledger replay FILE --database
   URL`` (each a process of its own, start-up included) on the same ledger, the replay into a
   new store each time, against the raw scan; measured only where the ``ledger`` command has
   them.

``--profile`` adds one ``verify`` under pyinstrument, its profile printed on standard error.

Run: ``.venv/bin/python bench/proofs.py [--quick] [--postgres [URL]] [--profile]``.
"""

from __future__ import annotations

import argparse
import dataclasses

import common
import proofs_data
import proofs_measures
import proofs_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=proofs_data.POSTGRES_SERVER,
        help=f"measure on this PostgreSQL server, database {proofs_data.POSTGRES_DATABASE}, "
        "in schemas of the run's own, dropped afterwards",
    )
    parser.add_argument("--quick", action="store_true", help="short settings, to try it out")
    parser.add_argument("--profile", action="store_true", help="profile one verify")
    args = parser.parse_args()
    common.use_project(args.project)
    sizes = proofs_measures.QUICK if args.quick else proofs_measures.FULL
    if args.repeats != parser.get_default("repeats"):
        sizes = dataclasses.replace(sizes, repeats=args.repeats)

    load_before = common.load_average()
    with proofs_data.Stores(args.postgres) as stores:
        writes = proofs_measures.measure_writes(stores, sizes)
        latencies = proofs_measures.measure_proofs(stores, sizes)
        log = proofs_measures.measure_log(stores, sizes, args.profile)
        report = common.Report(
            f"The Merkle log on {'PostgreSQL' if args.postgres else 'SQLite'}, medians of "
            f"{sizes.repeats}",
            common.project_label(args.project),
            ["figure", "measured", "baseline", "ratio", "goal"],
            load_average_before=load_before,
        )
        proofs_report.add_writes(report, sizes, writes)
        proofs_report.add_proofs(report, sizes, latencies)
        proofs_report.add_log(report, log)
        proofs_report.notes(report, stores, sizes, latencies.build_seconds)
    if log.profile is not None:
        common.progress(f"profile of one verify:\n{log.profile}")
    report.show(args.json)


if __name__ == "__main__":
    main()
