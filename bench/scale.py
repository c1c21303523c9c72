"""Do reads stay as fast on 5,000,000 events as on 50,000? (PostgreSQL, a real server, wrk.)

Builds (or, with ``--keep``, reuses) a PostgreSQL ledger of each size: 50k events (10,000
subjects) as the reference, and the ``--size`` one (5M: 1,000,000 subjects and 5,000,000
events), each in a database of its own (``<prefix>_50k``, ``<prefix>_5m``); see
``scale_data.py`` for what the events are and how they are recorded. The views are projected
by the ledger's projector, with the rate printed.

Then one ``ledger serve`` per size answers, under wrk's 8 connections, in turn and repeated:

- GET /v1/subjects/{id} (random subjects),
- GET /v1/measures?as_of=<date>&limit=100 (dates across the history; also with 1 connection,
  the first page of the list as of a date, at 1M measures for the 5M ledger),
- GET /v1/subjects?name=<a subject's full name>, and its floor: ``bench/bare_app.py`` under
  uvicorn, reading by primary key the one profile document the search finds (its subject id
  handed over in the path), with the same key check, thread hop and access line,
- GET /v1/changes?since=position:A&until=position:A+10000&limit=100,

and prints p50/p99 at each size, the ratio of the p99s, and each server's memory (RSS).

Run: ``.venv/bin/python bench/scale.py --size 50k`` (a minute), ``--size 5M --keep`` (the
first run builds for a long while; run it under nohup with ``--build-only``).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import common
import load
import scale_data

SIZES = {"50k": 50_000, "500k": 500_000, "5M": 5_000_000}
SERVER = "postgresql://postgres@127.0.0.1:5432"


@dataclass
class Ledger:
    size: str
    url: str
    subjects: int
    last_position: int


def database_name(prefix: str, size: str) -> str:
    return f"{prefix}_{size.lower()}"


def _admin(server: str) -> Any:
    import psycopg

    return psycopg.connect(f"{server}/postgres", autocommit=True)


def _exists(server: str, name: str) -> bool:
    with _admin(server) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def _drop(server: str, name: str) -> None:
    with _admin(server) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _create(server: str, name: str) -> None:
    with _admin(server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')


def _events(url: str, table: str) -> int:
    """How many events the ledger's events ``table`` holds. Positions may skip a few (a batch
    rolled back and inserted again takes new ones), so the last position is not always the
    count."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as connection:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        row = connection.execute(query).fetchone()
        return int(row[0]) if row else 0


def database_size(server: str, name: str) -> str:
    with _admin(server) as connection:
        row = connection.execute("SELECT pg_size_pretty(pg_database_size(%s))", (name,)).fetchone()
        return str(row[0]) if row else "?"


def analyze(url: str) -> None:
    """What autovacuum does soon after a bulk load: the planner's statistics, and the name
    index's pending rows merged into it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def prepare(server: str, prefix: str, size: str, keep: bool) -> Ledger:
    """The ledger of ``size``, built and projected, reused when ``keep`` and complete."""
    from application.bootstrap import bootstrap
    from application.settings import Settings

    name = database_name(prefix, size)
    url = f"{server}/{name}"
    subjects = scale_data.subjects_for(SIZES[size])
    expected = subjects * scale_data.EVENTS_PER_SUBJECT
    if not (keep and _exists(server, name)):
        _drop(server, name)
        _create(server, name)
    services = bootstrap(Settings(database_url=url, projections="external"))
    try:
        last = services.ledger.last_position()
        recorder: Any = services.ledger.recorder  # the PostgreSQL recorder names its table
        table = recorder.events_table_name
        complete = last == expected or (last > expected and _events(url, table) == expected)
        if last != 0 and not complete and not scale_data.resumable(services.ledger, subjects):
            common.progress(f"{name}: {last:,} events, not the {expected:,} expected; rebuilding")
            services.close()
            _drop(server, name)
            _create(server, name)
            services = bootstrap(Settings(database_url=url, projections="external"))
            last = 0
        if not complete and last < expected:
            common.progress(
                f"{name}: recording {expected - last:,} events of {subjects:,} subjects"
                + (f" after the {last:,} recorded" if last else "")
            )
            built = scale_data.build(services.ledger, subjects)
            common.progress(
                f"{name}: recorded {built.events:,} events in {built.seconds:,.0f} s "
                f"({built.events / built.seconds:,.0f} events/s)"
            )
            last = services.ledger.last_position()
        if services.views.position() < last:
            projected = scale_data.project(services.projector, last)
            common.progress(
                f"{name}: projected {projected.events:,} events in {projected.seconds:,.0f} s "
                f"({projected.events / max(projected.seconds, 1e-9):,.0f} events/s)"
            )
            # After a bulk load, as any operator would: the planner's statistics of the
            # views would otherwise wait for autovacuum, and plans on stale ones can scan.
            analyze(url)
        common.progress(f"{name}: ready, {last:,} events, {database_size(server, name)}")
    finally:
        services.close()
    return Ledger(size, url, subjects, last)


NAME_FLOOR = "name search floor"
FIGURES = (
    "GET subject",
    "measures page",
    "measures page, 1 conn",
    "name search",
    NAME_FLOOR,
    "changes page",
)


def requests_for(ledger: Ledger, figure: str, seed: int = 7) -> list[load.Request]:
    draw = random.Random(seed)
    if figure == "GET subject":
        ids = [scale_data.subject_id(draw.randrange(ledger.subjects)) for _ in range(500)]
        return [load.Request("GET", f"/v1/subjects/{i}") for i in ids]
    if figure.startswith("measures page"):
        span = (scale_data.HISTORY_END - scale_data.HISTORY_START).days
        dates = [
            (scale_data.HISTORY_START + timedelta(days=span * (k + 1) // 21)).date().isoformat()
            for k in range(20)
        ]
        return [load.Request("GET", f"/v1/measures?as_of={d}&limit=100") for d in dates]
    if figure in ("name search", NAME_FLOOR):
        drawn = [draw.randrange(ledger.subjects) for _ in range(200)]
        names = [(scale_data.subject_id(k), scale_data.primary_name(k)) for k in drawn]
        if figure == NAME_FLOOR:  # the subject the index would find, handed to the floor
            return [load.Request("GET", f"/floor/v1/names/{i}?name={quote(n)}") for i, n in names]
        return [load.Request("GET", f"/v1/subjects?name={quote(n)}") for _, n in names]
    if figure == "changes page":
        window = 10_000
        starts = [draw.randrange(1, max(ledger.last_position - window, 2)) for _ in range(20)]
        return [
            load.Request(
                "GET", f"/v1/changes?since=position:{a}&until=position:{a + window}&limit=100"
            )
            for a in starts
        ]
    raise ValueError(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.add_argument("--size", choices=sorted(SIZES), default="50k")
    parser.add_argument("--keep", action="store_true", help="reuse the databases; keep them")
    parser.add_argument("--build-only", action="store_true", help="build the ledger, no reads")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--prefix", default="ledger_scale", help="database name prefix")
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="ledger serve processes")
    args = parser.parse_args()
    common.use_project(args.project)

    sizes = ["50k"] if args.size == "50k" else ["50k", args.size]
    if args.build_only:
        sizes = [args.size]
    began = time.perf_counter()
    ledgers = [prepare(args.server, args.prefix, size, args.keep) for size in sizes]
    common.progress(f"ledgers ready in {time.perf_counter() - began:,.0f} s")
    if args.build_only:
        return
    try:
        report = measure(args, ledgers)
    finally:
        if not args.keep:
            for ledger in ledgers:
                _drop(args.server, database_name(args.prefix, ledger.size))
    report.show(args.json)


def measure(args: argparse.Namespace, ledgers: list[Ledger]) -> common.Report:
    from contextlib import ExitStack

    load_before = common.load_average()
    with ExitStack() as stack:
        servers = {}
        headers = {}
        floors = {}
        for ledger in ledgers:
            servers[ledger.size] = stack.enter_context(
                common.serve_ledger(ledger.url, args.workers)
            )
            token = common.create_key(ledger.url, "reader")
            headers[ledger.size] = load.bearer(token)
            floor_env = {
                "BARE_FLOOR_PG": ledger.url,
                "BARE_FLOOR_TOKEN_SHA256": hashlib.sha256(token.encode()).hexdigest(),
            }
            floors[ledger.size] = stack.enter_context(common.serve_bare(floor_env))
        idle = {size: server.rss_mib() for size, server in servers.items()}
        plans = {}
        for ledger in ledgers:
            for figure in FIGURES:
                requests = requests_for(ledger, figure)
                server = floors if figure == NAME_FLOOR else servers
                load.check_answers(server[ledger.size].base, requests[:3], headers[ledger.size])
                plans[(figure, ledger.size)] = requests

        def run(figure: str, size: str) -> Any:
            def once() -> load.WrkResult:
                connections = 1 if figure.endswith("1 conn") else args.connections
                result = load.wrk(
                    (floors if figure == NAME_FLOOR else servers)[size].base,
                    plans[(figure, size)],
                    connections=connections,
                    seconds=args.seconds,
                    headers=headers[size],
                )
                common.progress(
                    f"{figure} at {size}: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
                    f"{result.requests_per_second:,.0f} req/s, {result.failed} failed"
                )
                return result

            return once

        sides = {f"{f}|{s}": run(f, s) for f in FIGURES for s in servers}
        results = common.interleaved(args.repeats, sides)
        loaded = {size: server.rss_mib() for size, server in servers.items()}

    sizes = [ledger.size for ledger in ledgers]
    columns = ["figure"]
    for size in sizes:
        columns += [f"p50 ms {size}", f"p99 ms {size}", f"req/s {size}"]
    if len(sizes) == 2:
        columns.append(f"p99 {sizes[1]}/{sizes[0]}")
    report = common.Report(
        f"Reads at scale (PostgreSQL, {args.workers} worker(s), {args.connections} connections, "
        f"median of {args.repeats})",
        common.project_label(args.project),
        columns,
        load_average_before=load_before,
    )
    for figure in FIGURES:
        row: list[Any] = [figure]
        p99s = []
        for size in sizes:
            runs = results[f"{figure}|{size}"]
            p99s.append(common.median([r.p99_ms for r in runs]))
            row += [
                common.median([r.p50_ms for r in runs]),
                p99s[-1],
                common.median([r.requests_per_second for r in runs]),
            ]
            failed = sum(r.failed for r in runs)
            if failed:
                report.note(f"{figure} at {size}: {failed} requests failed")
        if len(sizes) == 2:
            row.append(f"{p99s[1] / p99s[0]:.2f}x")
        report.add(*row)
    for size in sizes:
        searched, floor = (
            common.median([r.p99_ms for r in results[f"{figure}|{size}"]])
            for figure in ("name search", NAME_FLOOR)
        )
        report.note(
            f"name search at {size}: p99 {searched:.2f} ms against {floor:.2f} ms for its floor "
            f"(bench/bare_app.py: the page's one document read by key), {searched / floor:.2f}x"
        )
    for ledger in ledgers:
        report.note(
            f"{ledger.size}: {ledger.last_position:,} events, {ledger.subjects:,} subjects; "
            f"API RSS {idle[ledger.size]:.0f} MiB idle, "
            f"{loaded[ledger.size]:.0f} MiB after the load"
        )
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    report.note(f"measured at {stamp}")
    return report


if __name__ == "__main__":
    main()
