"""How close rebuilding the views comes to merely reading the log.

Builds a ledger of ``--events`` events (a SQLite file by default; the subjects, designations,
amendments, rescissions and visa bans of ``scale_data.py``, recorded in batches), then, in
turn and ``--repeats`` times:

- rebuild: the ledger's ``Projector.rebuild()`` (what ``ledger rebuild`` runs): project the
  whole log again into emptied views (on SQLite, split between processes, one per core:
  ``application/views/split_rebuild.py``);
- raw scan: read the same log through the library, ``recorder.select_notifications`` in
  pages, and decode every event with the application's ``mapper.to_domain_event``; nothing
  else. No projection can beat this: it is the floor.

Prints events per second of each and the ratio rebuild / scan (the goal: at least 0.5).

On SQLite it also times what SQLite alone needs to write the rows the rebuild wrote (the
"SQLite floor"): into empty tables of the views' schema in a new file, one ``INSERT ...
SELECT`` per table from the rebuilt file in one transaction, then every index and the name
index, as a rebuild restores them. No Python touches a row: no projector can write these rows
in less.

With ``--no-rows`` it also times a rebuild in one process that derives no view rows at all: the
ledger's projector with its ``rows_after`` answering "nothing changed" for every event, so that
it still reads, decodes and applies every event and writes the log's rows, and nothing else.
That time plus SQLite's floor is what a rebuild in one process needs before it derives a
single row, and the scan's time over it the most such a rebuild could show.

With ``--budget`` it also times the rows' derivation alone: the log decoded first, then every
subject brought up to each of its events and ``rows_after`` (what the projector derives per
event) timed in processor seconds around each call, nothing read or written meanwhile. The
scan's time (reading and decoding), the derivation's and SQLite's floor are work any rebuild
of these views does, and SQLite writes with one writer at a time: however the work were
shared between the cores, the rebuild could take no less than their sum divided by the cores,
and the ratio it prints is the most such a perfect rebuild could show against the scan.

Run: ``.venv/bin/python bench/rebuild.py [--events 100000] [--database URL]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import common
import scale_data

PAGE = 5000


def sqlite_floor(rebuilt: Path) -> float:
    """Seconds SQLite alone takes to write the views' rows of ``rebuilt`` into a new file."""
    import sqlite3

    from application.views import schema

    floor = rebuilt.with_name("floor.db")
    connection = sqlite3.connect(floor, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=wal")
        connection.execute("PRAGMA synchronous=full")
        for statement in schema.TABLES:
            if statement not in schema.INDEXES:
                connection.execute(statement)
        connection.execute("ATTACH DATABASE ? AS rebuilt", (str(rebuilt),))
        began = time.perf_counter()
        connection.execute("BEGIN")
        for table in schema.VIEW_TABLES:
            connection.execute(f"INSERT INTO main.{table} SELECT * FROM rebuilt.{table}")
        connection.execute("COMMIT")
        for statement in schema.INDEXES:
            connection.execute(statement)
        connection.execute("BEGIN")
        connection.execute(schema.SQLITE_NAME_SEARCH_TABLE)
        connection.execute(schema.SQLITE_NAME_SEARCH_FILL)
        connection.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        connection.close()


def rebuild_without_rows(services: Any) -> float:
    """Seconds for a rebuild in one process that derives no view rows (``--no-rows``). The
    views are left without their rows: run it on a ledger of the benchmark's own."""
    from unittest import mock

    from application.views.rows import Touched

    def nothing_changed(subject: Any, _event: Any) -> Touched:
        return Touched(str(subject.id), subject.version, None, {}, {})

    # The name the projector calls, in this process only: the rebuild runs in it (``1``).
    with mock.patch("application.views.projector.rows_after", nothing_changed):
        began = time.perf_counter()
        services.projector.rebuild(1)
        return time.perf_counter() - began


def derivation_alone(ledger: Any) -> tuple[int, float]:
    """Rows derived and processor seconds spent deriving them (``--budget``): every subject
    event of the log, decoded beforehand, applied to its subject in order and the rows it
    touched derived, with only ``rows_after`` timed."""
    from application.views.rows import rows_after
    from domain.subject import Subject

    events = [ledger.mapper.to_domain_event(note) for notes in pages(ledger) for note in notes]
    subjects: dict[Any, Any] = {}
    subject: Any
    rows, spent = 0, 0.0
    for event in events:
        if not isinstance(event, Subject.Event):
            continue
        if isinstance(event, Subject.Registered):
            subject = subjects[event.originator_id] = event.mutate(None)
        else:
            subject = subjects[event.originator_id]
            event.mutate(subject)
        began = time.process_time()
        touched = rows_after(subject, event)
        spent += time.process_time() - began
        rows += len(touched.measures) + len(touched.profiles or ())
    return rows, spent


def pages(ledger: Any) -> Iterator[list[Any]]:
    """The log's notifications, ``PAGE`` at a time, in order."""
    start = 1
    while notes := ledger.recorder.select_notifications(start=start, limit=PAGE):
        yield notes
        start = notes[-1].id + 1


def raw_scan(ledger: Any) -> int:
    """Every event of the log, read in pages and decoded; how many."""
    count = 0
    for notes in pages(ledger):
        for note in notes:
            ledger.mapper.to_domain_event(note)
        count += len(notes)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.add_argument("--events", type=int, default=100_000, help="size of the log")
    parser.add_argument("--database", help="default: a new SQLite file in a temporary folder")
    parser.add_argument(
        "--no-rows",
        action="store_true",
        help="also time a rebuild in one process that derives no rows (not with --database)",
    )
    parser.add_argument(
        "--budget",
        action="store_true",
        help="also time the rows' derivation alone, and the most any rebuild could show",
    )
    args = parser.parse_args()
    common.use_project(args.project)
    from application.bootstrap import bootstrap
    from application.settings import Settings
    from application.views.split_rebuild import parts_for, usable_cores

    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as folder:
        database = args.database or f"sqlite:///{Path(folder) / 'rebuild.db'}"
        services = bootstrap(Settings(database_url=database, projections="external"))
        try:
            if services.ledger.last_position() == 0:
                built = scale_data.build(services.ledger, scale_data.subjects_for(args.events))
                common.progress(f"recorded {built.events:,} events in {built.seconds:.0f} s")
            events = services.ledger.last_position()
            parts = parts_for(services.views, events)
            load_before = common.load_average()

            def rebuild() -> float:
                began = time.perf_counter()
                services.projector.rebuild()
                rate = events / (time.perf_counter() - began)
                common.progress(f"rebuild: {rate:,.0f} events/s")
                return rate

            def scan() -> float:
                began = time.perf_counter()
                count = raw_scan(services.ledger)
                rate = count / (time.perf_counter() - began)
                common.progress(f"raw scan + decode: {rate:,.0f} events/s")
                return rate

            results = common.interleaved(args.repeats, {"rebuild": rebuild, "scan": scan})
            floor = None if args.database else sqlite_floor(Path(folder) / "rebuild.db")
            no_rows = (
                [rebuild_without_rows(services) for _ in range(args.repeats)]
                if args.no_rows and not args.database
                else None
            )
            derived = (
                [derivation_alone(services.ledger) for _ in range(args.repeats)]
                if args.budget
                else None
            )
        finally:
            services.close()

    report = common.Report(
        f"Rebuilding the views against a raw scan of the log, median of {args.repeats}",
        common.project_label(args.project),
        ["events", "rebuild events/s", "raw scan + decode events/s", "ratio"],
        load_average_before=load_before,
    )
    rebuilt, scanned = common.median(results["rebuild"]), common.median(results["scan"])
    report.add(events, rebuilt, scanned, f"{rebuilt / scanned:.2f}")
    report.note(
        f"store: {common.redacted(database)}; scan pages of {PAGE} events; the rebuild "
        + (f"split between {parts} processes" if parts > 1 else "in one process")
    )
    if floor is not None:
        report.note(
            f"SQLite floor: {floor:.2f} s to write the rebuilt rows with no Python per row "
            f"({events / floor:,.0f} events/s); the scan took {events / scanned:.2f} s, "
            f"the rebuild {events / rebuilt:.2f} s"
        )
    if floor is not None and no_rows is not None:
        bare = common.median(no_rows)
        report.note(
            f"no rows derived, one process: {bare:.2f} s (median of {len(no_rows)}); with "
            f"SQLite's floor {bare + floor:.2f} s, so a rebuild in one process shows at most "
            f"{events / scanned / (bare + floor):.2f}"
        )
    if floor is not None and derived is not None:
        rows, deriving = derived[0][0], common.median([seconds for _, seconds in derived])
        scan_seconds = events / scanned
        cores = usable_cores()
        least = (scan_seconds + deriving + floor) / cores
        report.note(
            f"derivation alone: {rows:,} rows in {deriving:.2f} processor s (median of "
            f"{len(derived)}; {deriving / rows * 1e6:.1f} µs a row); scan + derivation + "
            f"SQLite's floor shared by {cores} core(s): at least {least:.2f} s, so no rebuild "
            f"of these views on this machine shows more than {scan_seconds / least:.2f}"
        )
    report.show(args.json)


if __name__ == "__main__":
    main()
