"""What the ledger's reads cost over HTTP, against a bare FastAPI app answering a like dict.

The ledger: a real ``ledger serve`` (one process, the default SQLite store unless
``--database``), holding the founding example and the latest OFAC SDN copy of the shared
history (about 12,000 subjects, imported with ``ledger import ofac-sdn``). The floor:
``bench/bare_app.py``, an async endpoint returning a dict shaped like the ledger's answer,
served by uvicorn the same way; and the same app's work floor, which does only what any read
on this stack must (a token check, one indexed read of stored JSON in a worker thread, one
JSON access line), over the ledger's own documents. wrk loads each with 8 connections, in
turn, ``--repeats`` times:

1. GET /v1/subjects/{id}, over 500 of the imported subjects;
2. GET /v1/measures?as_of=<the day after the copy>&limit=100: a full page (the copy's
   measures take effect when it was observed, so at the start of its own day few are).

It prints each side's median requests per second and p99, the ratio ledger / bare (the
goals: at least 0.6 and 0.5), and how the ledger and the bare app stand to the work floor:
ledger / floor is what the ledger's own code costs, floor / bare what the stack does.

Run: ``.venv/bin/python bench/http_reads.py [--seconds 10] [--project /work/baseline]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sqlite3
import tarfile
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import common
import httpx2 as httpx
import load

ARCHIVE = "ofac-sdn/sdn-history-2021-08-18-to-2024-05-03.tar.xz"
OBSERVED = re.compile(r"sdn_(\d{4}-\d\d-\d\d)T(\d\d)(\d\d)(\d\d)Z\.csv$")


def latest_copy(folder: Path) -> tuple[Path, str]:
    """The newest SDN copy of the shared history, unpacked into ``folder``, and its time."""
    with tarfile.open(common.shared_data() / ARCHIVE) as archive:
        members = [m for m in archive.getmembers() if OBSERVED.search(m.name)]
        newest = max(members, key=lambda m: OBSERVED.search(m.name).groups())  # type: ignore[union-attr]
        archive.extract(newest, folder, filter="data")
    day, hours, minutes, seconds = OBSERVED.search(newest.name).groups()  # type: ignore[union-attr]
    return folder / newest.name, f"{day}T{hours}:{minutes}:{seconds}Z"


def prepare(database: str, folder: Path) -> str:
    """Load the ledger; the day after the copy's, when all of its measures are in force."""
    copy, observed_at = latest_copy(folder)
    common.progress(f"loading {copy.name} into {database}")
    common.ledger("demo", "--database", database)
    output = common.ledger(
        "import", "ofac-sdn", str(copy), "--observed-at", observed_at, "--database", database
    )
    common.progress(output.strip().splitlines()[-1] if output.strip() else "imported")
    common.ledger("project", "--once", "--database", database)
    return (date.fromisoformat(observed_at[:10]) + timedelta(days=1)).isoformat()


def subject_paths(base: str, headers: dict[str, str], as_of: str) -> list[str]:
    answer = httpx.get(
        f"{base}/v1/measures",
        params={"authority": "US-OFAC", "as_of": as_of, "limit": 500},
        headers=headers,
        timeout=60,
    )
    answer.raise_for_status()
    ids = list(dict.fromkeys(m["subject_id"] for m in answer.json()["items"]))
    return [f"/v1/subjects/{i}" for i in ids]


def floor_database(
    path: Path, base: str, headers: dict[str, str], subjects: list[str], as_of: str
) -> None:
    """The work floor's SQLite file: the ledger's own answers, each stored as JSON by key."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        documents = [(p.rsplit("/", 1)[1], client.get(p).content) for p in subjects]
        page = client.get("/v1/measures", params={"as_of": as_of, "limit": 100}).json()
    measures = [(m["measure_id"], json.dumps(m).encode()) for m in page["items"]]
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE subjects (subject_id TEXT PRIMARY KEY, body BLOB)")
        database.execute("CREATE TABLE measures (measure_id TEXT PRIMARY KEY, body BLOB)")
        database.executemany("INSERT INTO subjects VALUES (?, ?)", documents)
        database.executemany("INSERT INTO measures VALUES (?, ?)", measures)
    database.close()


SIDES = ("ledger", "floor", "bare")


def measure(
    ledger: common.Server,
    bare: common.Server,
    paths: list[str],
    as_of: str,
    headers: dict[str, str],
    args: argparse.Namespace,
) -> tuple[dict[str, list[load.WrkResult]], list[str]]:
    """Each figure on each side, interleaved, ``--repeats`` times: the results by
    ``figure|side``, and the figures."""
    measures = f"/v1/measures?as_of={as_of}&limit=100"
    figures = {
        "GET /v1/subjects/{id}": [load.Request("GET", p) for p in paths],
        "GET /v1/measures?as_of&limit=100": [load.Request("GET", measures)],
    }
    for requests in figures.values():
        load.check_answers(ledger.base, requests[:3], headers)
        floor = [load.Request("GET", "/floor" + r.path) for r in requests[:3]]
        load.check_answers(bare.base, floor, headers)

    def run(server: common.Server, requests: list[load.Request], label: str) -> Any:
        def once() -> load.WrkResult:
            result = load.wrk(
                server.base,
                requests,
                connections=args.connections,
                seconds=args.seconds,
                headers=headers,
            )
            common.progress(
                f"{label}: {result.requests_per_second:,.0f} req/s, "
                f"p99 {result.p99_ms:.1f} ms, {result.failed} failed"
            )
            return result

        return once

    sides = {}
    for figure, requests in figures.items():
        floor = [load.Request("GET", "/floor" + r.path) for r in requests]
        sides[f"{figure}|ledger"] = run(ledger, requests, f"ledger {figure}")
        sides[f"{figure}|floor"] = run(bare, floor, f"floor {figure}")
        sides[f"{figure}|bare"] = run(bare, requests, f"bare {figure}")
    return common.interleaved(args.repeats, sides), list(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.add_argument("--database", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="ledger serve processes")
    args = parser.parse_args()
    common.use_project(args.project)

    with tempfile.TemporaryDirectory(prefix="bench-reads-") as folder:
        database = args.database or f"sqlite:///{Path(folder) / 'reads.db'}"
        as_of = prepare(database, Path(folder))
        token = common.create_key(database, "reader")
        headers = load.bearer(token)
        load_before = common.load_average()
        floor_db = Path(folder) / "floor.db"
        with common.serve_ledger(database, args.workers) as ledger:
            paths = subject_paths(ledger.base, headers, as_of)
            floor_database(floor_db, ledger.base, headers, paths, as_of)
            floor_env = {
                "BARE_FLOOR_DB": str(floor_db),
                "BARE_FLOOR_TOKEN_SHA256": hashlib.sha256(token.encode()).hexdigest(),
            }
            with common.serve_bare(floor_env) as bare:
                results, figures = measure(ledger, bare, paths, as_of, headers, args)
            rss = ledger.rss_mib()

    report = common.Report(
        f"HTTP reads, {args.workers} worker(s), {args.connections} connections, "
        f"median of {args.repeats}",
        common.project_label(args.project),
        [
            "figure",
            "ledger req/s",
            "floor req/s",
            "bare req/s",
            "ledger / bare",
            "ledger / floor",
            "floor / bare",
            "p99 ms ledger / floor / bare",
        ],
        load_average_before=load_before,
    )
    for figure in figures:
        runs = {side: results[f"{figure}|{side}"] for side in SIDES}
        rate = {side: common.median([r.requests_per_second for r in runs[side]]) for side in SIDES}
        p99 = {side: common.median([r.p99_ms for r in runs[side]]) for side in SIDES}
        report.add(
            figure,
            rate["ledger"],
            rate["floor"],
            rate["bare"],
            f"{rate['ledger'] / rate['bare']:.2f}",
            f"{rate['ledger'] / rate['floor']:.2f}",
            f"{rate['floor'] / rate['bare']:.2f}",
            " / ".join(f"{p99[side]:.1f}" for side in SIDES),
        )
        failed = sum(r.failed for side in SIDES for r in runs[side])
        if failed:
            report.note(f"{figure}: {failed} requests failed")
    report.note(f"store: {common.redacted(database)}; ledger API RSS after the load {rss:.0f} MiB")
    report.show(args.json)


if __name__ == "__main__":
    main()
