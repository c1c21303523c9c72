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
Run: ``.venv/bin/python bench/ofac_history.py [--database URL] [--every N]``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.importers.importer import Importer
from application.importers.ofac_csv import iter_sdn_entries
from application.importers.publications import dated_copies, observed_at_in_name, ofac_sdn
from application.keys import CLI
from application.settings import Settings
from domain.values import Actor

REPOSITORY = Path(__file__).resolve().parents[1]
ARCHIVE = "ofac-sdn/sdn-history-2021-08-18-to-2024-05-03.tar.xz"


def shared_data() -> Path:
    configured = os.environ.get("LEDGER_SHARED_DATA")
    return Path(configured) if configured else REPOSITORY / ".." / "shared" / "data"


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_history(services: Services, copies: list[Path]) -> None:
    importer = Importer(services, Actor("bench", "history benchmark"))
    first = services.ledger.last_position()
    began = time.perf_counter()
    totals = [0, 0, 0, 0]
    for index, copy in enumerate(copies, 1):
        summary = importer.run(ofac_sdn(copy, observed_at_in_name(copy.name)))
        for n, value in enumerate(
            (summary.added, summary.amended, summary.rescinded, summary.unchanged)
        ):
            totals[n] += value
        if index % 50 == 0 or index == len(copies):
            print(f"  {index}/{len(copies)} copies imported ({time.perf_counter() - began:.0f} s)")
    elapsed = time.perf_counter() - began
    events = services.ledger.last_position() - first
    rate = events / elapsed
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


def listed(client: TestClient, copy: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
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
    with copy.open("rb") as stream:
        return {e.reference: (e.names[0].value, e.programs) for e in iter_sdn_entries(stream)}


def check_copies(services: Services, copies: list[Path]) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--every", type=int, default=1, help="check every Nth copy only")
    args = parser.parse_args()
    database = args.database or f"sqlite:///{Path(tempfile.mkdtemp()) / 'history.db'}"
    services = bootstrap(Settings(database_url=database, projections="external"))
    try:
        with dated_copies(shared_data() / ARCHIVE) as copies:
            print(f"{len(copies)} dated copies, {copies[0].name} to {copies[-1].name}")
            import_history(services, copies)
            check_copies(services, copies[:: args.every])
        print(f"peak RSS: {peak_rss_mib():.0f} MiB")
    finally:
        services.close()


if __name__ == "__main__":
    main()
