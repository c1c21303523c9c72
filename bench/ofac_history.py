"""Import the whole OFAC SDN history (308 dated copies) and check every copy against the ledger.

1. Imports every copy, oldest first, into a fresh ledger (a new SQLite file by default, or
   ``--database postgresql://...``), and prints the events recorded per second and the peak
   memory (RSS) of the process.
2. For every copy, asks ``GET /v1/measures?authority=US-OFAC&as_of=<its observed time>`` (in
   process, with a reader's key) and compares the answer with the copy itself: the same
   ``ent_num`` set, and for each the same primary name and program set. Prints how many of
   the copies match.

The copies are read from the shared data (``$LEDGER_SHARED_DATA``, default ``../shared/data``)
and unpacked into a temporary folder; nothing is copied into the repository.
Run: ``.venv/bin/python bench/ofac_history.py [--database URL | --postgres] [--every N]
[--no-check] [--project DIR]``; the table at the end gives the import's seconds and the
process's peak RSS when the import ended (the goals: under 45 s on SQLite, 90 s on PostgreSQL,
500 MiB).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import common

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from application.bootstrap import Services

ARCHIVE = "ofac-sdn/sdn-history-2021-08-18-to-2024-05-03.tar.xz"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_history(services: Services, copies: list[Path]) -> dict[str, float]:
    from application.collector import full_passes_held_off
    from application.importers.importer import Importer
    from application.importers.publications import observed_at_in_name, ofac_sdn
    from domain.values import Actor

    importer = Importer(services, Actor("bench", "history benchmark"))
    first = services.ledger.last_position()
    began = time.perf_counter()
    totals = [0, 0, 0, 0]
    # The highest RSS seen between copies: ru_maxrss also counts what came before the
    # import (unpacking the archive), which can hide the import's own growth.
    highest = common.rss_mib(os.getpid())
    with full_passes_held_off():  # as ``ledger import`` imports its publications
        for index, copy in enumerate(copies, 1):
            summary = importer.run(ofac_sdn(copy, observed_at_in_name(copy.name)))
            highest = max(highest, common.rss_mib(os.getpid()))
            for n, value in enumerate(
                (summary.added, summary.amended, summary.rescinded, summary.unchanged)
            ):
                totals[n] += value
            if index % 50 == 0 or index == len(copies):
                seconds = time.perf_counter() - began
                print(f"  {index}/{len(copies)} copies imported ({seconds:.0f} s)")
    elapsed = time.perf_counter() - began
    events = services.ledger.last_position() - first
    rate = events / elapsed
    imported_in, import_rss = elapsed, peak_rss_mib()
    print(
        f"imported {len(copies)} copies: {totals[0]} listings, {totals[1]} amendments, "
        f"{totals[2]} delistings; {events} events in {elapsed:.1f} s = {rate:,.0f} events/s"
    )
    began = time.perf_counter()
    services.projector.catch_up()
    elapsed = time.perf_counter() - began
    rate = events / elapsed
    print(f"projected the views: {events} events in {elapsed:.1f} s = {rate:,.0f} events/s")
    print(f"peak RSS so far: {peak_rss_mib():.0f} MiB")
    return {
        "copies": len(copies),
        "events": events,
        "import_seconds": imported_in,
        "import_peak_rss_mib": import_rss,
        "import_highest_rss_mib": highest,
        "projection_seconds": elapsed,
    }


def listed(client: TestClient, copy: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    from application.importers.publications import observed_at_in_name

    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    params: dict[str, Any] = {
        "authority": "US-OFAC",
        "as_of": observed_at_in_name(copy.name).isoformat(),
        "limit": 1000,
    }
    while True:
        response = client.get("/v1/measures", params=params)
        response.raise_for_status()
        body = response.json()
        for measure in body["items"]:
            [ent_num] = [r["id"] for r in measure["references"] if r["authority"] == "US-OFAC"]
            found[ent_num] = (measure["primary_name"], tuple(measure["programs"]))
        if body["next_cursor"] is None:
            return found
        params = {"cursor": body["next_cursor"], "limit": 1000}


def published(copy: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    from application.importers.ofac_csv import iter_sdn_entries

    with copy.open("rb") as stream:
        return {e.reference: (e.names[0].value, e.programs) for e in iter_sdn_entries(stream)}


def check_copies(services: Services, copies: list[Path]) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from application.keys import CLI

    token = services.keys.issue("reader", "history benchmark", created_by=CLI).token
    headers = {"Authorization": f"Bearer {token}"}
    matching, began = 0, time.perf_counter()
    with TestClient(create_app(services=services), headers=headers) as client:
        for copy in copies:
            if listed(client, copy) == published(copy):
                matching += 1
            else:
                print(f"  {copy.name}: the ledger's list as of its time differs from the copy")
    print(
        f"{matching} of {len(copies)} copies match the ledger's list as of their observed time "
        f"(checked in {time.perf_counter() - began:.0f} s)"
    )


@contextmanager
def own_postgres_database(server: str) -> Iterator[str]:
    """A new PostgreSQL database for one run, dropped after it."""
    import psycopg

    name = f"ledger_bench_history_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="default: a new SQLite file in a temporary folder")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432",
        help="import into a new database of this PostgreSQL server, dropped afterwards",
    )
    parser.add_argument("--every", type=int, default=1, help="check every Nth copy only")
    parser.add_argument("--no-check", action="store_true", help="import only, check nothing")
    parser.add_argument("--repeats", type=int, default=1, help="imports, each into a new ledger")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    parser.add_argument("--project", type=Path, help="the checkout of the ledger to measure")
    args = parser.parse_args()
    if args.database and args.repeats > 1:
        parser.error("--repeats needs a new ledger each time: leave --database out")
    common.use_project(args.project)
    from application.importers.publications import dated_copies

    load_before = common.load_average()
    runs = []
    with dated_copies(common.shared_data() / ARCHIVE) as copies:
        print(f"{len(copies)} dated copies, {copies[0].name} to {copies[-1].name}")
        for repeat in range(args.repeats):
            last = repeat == args.repeats - 1
            runs.append(one_import(args, copies, check=last and not args.no_check))
    print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    report = common.Report(
        f"Full OFAC SDN history import, median of {args.repeats}",
        common.project_label(args.project),
        [
            "store",
            "copies",
            "events",
            "import s",
            "peak RSS MiB",
            "RSS MiB between copies",
            "projection s",
        ],
        load_average_before=load_before,
    )
    report.add(
        runs[0]["store"],
        int(runs[0]["copies"]),
        int(runs[0]["events"]),
        common.median([r["import_seconds"] for r in runs]),
        max(r["import_peak_rss_mib"] for r in runs),
        max(r["import_highest_rss_mib"] for r in runs),
        common.median([r["projection_seconds"] for r in runs]),
    )
    report.note(
        "peak RSS: the process's highest resident memory up to the end of the import "
        "(ru_maxrss); RSS between copies: the highest sampled after each copy's import"
    )
    report.show(args.json)


def one_import(args: argparse.Namespace, copies: list[Path], check: bool) -> dict[str, Any]:
    """Import every copy into a new ledger (and check it); the figures."""
    from application.bootstrap import bootstrap
    from application.settings import Settings

    with contextlib.ExitStack() as stack:
        database = args.database or (
            stack.enter_context(own_postgres_database(args.postgres))
            if args.postgres
            else f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory())) / 'h.db'}"
        )
        services = bootstrap(Settings(database_url=database, projections="external"))
        try:
            figures: dict[str, Any] = dict(import_history(services, copies))
            if check:
                check_copies(services, copies[:: args.every])
        finally:
            services.close()
    figures["store"] = common.redacted(database).split(":", 1)[0]
    return figures


if __name__ == "__main__":
    main()
