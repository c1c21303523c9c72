"""Events per second of concurrent writes through the ledger, against the library alone.

Both sides write to a SQLite file of their own, durably, from the same number of threads,
for ``--seconds``:

- the ledger: ``bootstrap(Settings(...)).ledger.execute(RegisterSubject(...))``, a subject with
  an OFAC reference of its own (two events: the subject and its reference claim); the views
  are left to a projector elsewhere (``projections=external``), so only the write path counts;
- the library: an ``eventsourcing`` ``Application`` saving one new aggregate, one event, per
  ``save()``, that is one transaction per event, as the library does out of the box.

A third figure bounds what any group commit on this framework can reach: the same library
saving ``--batch`` new aggregates per ``save()`` from one thread, that is a group of that many
events with nothing to check, no Merkle tree and no waiting for writers (the ledger's group at
8 threads holds about 16 events). Its ratio to the one-event library is the most a ledger
built on the library could show; the ledger's ratio to it is how close the ledger comes.

Events per second are counted from the log's last position before and after. Prints both
sides, the ratio ledger / library (the goal: at least 3) and each database's ``PRAGMA
synchronous`` and journal mode, so that "durable" can be checked rather than assumed.

Run: ``.venv/bin/python bench/commit_throughput.py [--threads 1,8,32] [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text


class Notes(Application[Any]):
    """The library's own application, as its documentation writes one."""


def pragmas(datastore: Any) -> str:
    """The journal mode and synchronous level a datastore's connections write with."""
    try:
        with datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA journal_mode")
            journal = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[cursor.fetchone()[0]]
    except Exception as error:  # a datastore of another shape: say so, do not guess
        return f"unknown ({type(error).__name__})"
    return f"journal_mode={journal}, synchronous={synchronous}"


class LedgerSide:
    def __init__(self, path: Path) -> None:
        from application.bootstrap import bootstrap
        from application.settings import Settings
        from domain.values import Actor

        self.services = bootstrap(
            Settings(database_url=f"sqlite:///{path}", projections="external")
        )
        self.actor = Actor("bench", "commit benchmark")
        self.command = common.registrations("commit benchmark")

    def events_per_second(self, threads: int, seconds: float) -> float:
        ledger = self.services.ledger
        first = ledger.last_position()
        elapsed = common.threaded(
            threads, seconds, lambda: ledger.execute(self.command(), self.actor)
        )
        return (ledger.last_position() - first) / elapsed

    def describe(self) -> str:
        return pragmas(self.services.ledger.recorder.datastore)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.services.close()


class LibrarySide:
    def __init__(self, path: Path) -> None:
        self.app = Notes(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        )

    def events_per_second(self, threads: int, seconds: float) -> float:
        return self._rate(threads, seconds, lambda: self.app.save(self._note()))

    def batched_events_per_second(self, batch: int, seconds: float) -> float:
        """One thread saving ``batch`` new aggregates per ``save()``: one transaction each."""
        return self._rate(1, seconds, lambda: self.app.save(*(self._note() for _ in range(batch))))

    @staticmethod
    def _note() -> Note:
        return Note(str(common.unique_number()))

    def _rate(self, threads: int, seconds: float, save: Callable[[], object]) -> float:
        recorder = self.app.recorder
        first = recorder.max_notification_id() or 0
        elapsed = common.threaded(threads, seconds, save)
        return ((recorder.max_notification_id() or 0) - first) / elapsed

    def describe(self) -> str:
        return pragmas(self.app.recorder.datastore)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common.common_arguments(parser)
    parser.add_argument("--threads", default="1,8,32", help="writer threads, comma-separated")
    parser.add_argument("--seconds", type=float, default=5, help="duration of each run")
    parser.add_argument(
        "--batch", type=int, default=16, help="events per transaction of the library's ceiling"
    )
    args = parser.parse_args()
    common.use_project(args.project)
    counts = [int(n) for n in args.threads.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-commits-") as folder:
        ours = LedgerSide(Path(folder) / "ledger.db")
        library = LibrarySide(Path(folder) / "library.db")
        load_before = common.load_average()
        try:
            sides: dict[str, Callable[[], float]] = {}
            for n in counts:
                sides[f"{n}|ledger"] = common.logged(
                    f"ledger, {n} threads",
                    functools.partial(ours.events_per_second, n, args.seconds),
                    "events/s",
                )
                sides[f"{n}|library"] = common.logged(
                    f"library, {n} threads",
                    functools.partial(library.events_per_second, n, args.seconds),
                    "events/s",
                )
            sides["ceiling"] = common.logged(
                f"library, 1 thread, {args.batch} events per transaction",
                functools.partial(library.batched_events_per_second, args.batch, args.seconds),
                "events/s",
            )
            results = common.interleaved(args.repeats, sides)
            described = {"ledger": ours.describe(), "library": library.describe()}
        finally:
            ours.close()
            library.close()

    report = common.Report(
        f"Events/s of concurrent writes on SQLite, ledger against the library, median of "
        f"{args.repeats}",
        common.project_label(args.project),
        ["threads", "ledger events/s", "library events/s", "ratio", "ledger / ceiling"],
        load_average_before=load_before,
    )
    ceiling = common.median(results["ceiling"])
    for n in counts:
        mine = common.median(results[f"{n}|ledger"])
        theirs = common.median(results[f"{n}|library"])
        report.add(n, mine, theirs, f"{mine / theirs:.2f}", f"{mine / ceiling:.2f}")
    at_most = ", ".join(
        f"{ceiling / common.median(results[f'{n}|library']):.2f} at {n}" for n in counts
    )
    report.note(
        f"ceiling: the library saving {args.batch} events per transaction from one thread, "
        f"{ceiling:,.0f} events/s; the most a group commit on it could show against the "
        f"one-event library: {at_most} threads"
    )
    for side, text in described.items():
        report.note(f"{side}: {text}")
    report.show(args.json)


if __name__ == "__main__":
    main()
