"""What the Merkle log's benchmark (``proofs.py``) measures, each side against its baseline.

Writes with and without the tree, proof latencies on a synthetic tree against one leaf read,
and verify, export and replay of a recorded ledger against a raw scan; the sizes of a run.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import common
import proofs_data
import rebuild
import scale_data


@dataclass(frozen=True)
class Sizes:
    threads: list[int]
    seconds: float
    repeats: int
    leaves: int
    samples: int
    events: int


FULL = Sizes([1, 8, 32], 5, 3, 1_000_000, 2000, 100_000)
QUICK = Sizes([8], 1, 1, 100_000, 200, 10_000)


# 1. Writes ------------------------------------------------------------------------------


class Writer:
    """Concurrent writes through the ledger on a store of its own."""

    def __init__(self, services: Any, tree: bool) -> None:
        from domain.values import Actor

        self.ledger = services.ledger
        self.tree = tree
        self.actor = Actor("bench", "proofs benchmark")
        self.command = common.registrations("proofs benchmark")

    def events_per_second(self, threads: int, seconds: float) -> float:
        first = self.ledger.last_position()
        if self.tree:
            elapsed = self._write(threads, seconds)
        else:
            with proofs_data.tree_switched_off():
                elapsed = self._write(threads, seconds)
        return float(self.ledger.last_position() - first) / elapsed

    def _write(self, threads: int, seconds: float) -> float:
        return common.threaded(
            threads, seconds, lambda: self.ledger.execute(self.command(), self.actor)
        )


def measure_writes(stores: proofs_data.Stores, sizes: Sizes) -> dict[str, list[float]]:
    """Each thread count's events/s with and without the tree, interleaved."""
    with (
        proofs_data.services_on(stores.url("writes_with")) as with_tree,
        proofs_data.services_on(stores.url("writes_without")) as without_tree,
    ):
        writers = {
            "with": Writer(with_tree, tree=True),
            "without": Writer(without_tree, tree=False),
        }
        sides: dict[str, Callable[[], float]] = {}
        for n in sizes.threads:
            for name, writer in writers.items():
                sides[f"{n}|{name}"] = common.logged(
                    f"writes {name} the tree, {n} threads",
                    functools.partial(writer.events_per_second, n, sizes.seconds),
                    "events/s",
                )
        results = common.interleaved(sizes.repeats, sides)
        check_tree(with_tree, "the writes' ledger")
    return results


def check_tree(services: Any, what: str) -> None:
    """Refuse to report on a ledger whose tree does not verify: its figures would be of a
    broken write path."""
    report = services.proofs.verify()
    if not report.ok:
        raise RuntimeError(f"{what} does not verify: {report.as_json()['problems'][:3]}")


# 2. Proofs ------------------------------------------------------------------------------


@dataclass
class Latencies:
    build_seconds: float
    inclusion: list[float]
    consistency: list[float]
    floor: list[float]


def measure_proofs(stores: proofs_data.Stores, sizes: Sizes) -> Latencies:
    """Latencies in ms of the three reads, interleaved sample by sample, random leaves."""
    from application.proofs.service import Proofs

    with proofs_data.services_on(stores.url("tree")) as services:
        tree = services.ledger.merkle
        built = proofs_data.build_synthetic_tree(tree, sizes.leaves)
        common.progress(f"tree: {sizes.leaves:,} leaves in {built:.0f} s")
        proofs = Proofs(
            tree, services.proofs.log, proofs_data.EveryEventAt(), lambda: services.proofs.signer
        )
        check_proofs(proofs, sizes.leaves)
        chosen = random.Random(2021)
        latencies = Latencies(built, [], [], [])
        for _ in range(sizes.samples):
            position = chosen.randint(1, sizes.leaves)
            first = chosen.randint(1, sizes.leaves - 1)
            event = proofs_data.synthetic_event_id(position)
            latencies.inclusion.append(timed(proofs.inclusion, event))
            latencies.consistency.append(timed(proofs.consistency, first))
            latencies.floor.append(timed(one_leaf, tree, position))
    return latencies


def one_leaf(tree: Any, position: int) -> Any:
    with tree.reading() as statements:
        return tree.leaf_at(statements, position)


def timed(run: Callable[..., object], *args: Any) -> float:
    """The milliseconds ``run(*args)`` takes."""
    began = time.perf_counter()
    run(*args)
    return (time.perf_counter() - began) * 1000


def check_proofs(proofs: Any, leaves: int) -> None:
    """The proofs timed must be proofs: check a few with the RFC's verification."""
    import base64

    from application.proofs import merkle

    def raw(text: str) -> bytes:
        return base64.b64decode(text)

    for position in (1, leaves // 3, leaves):
        answer = proofs.inclusion(proofs_data.synthetic_event_id(position))
        path = [raw(node) for node in answer["inclusion_path"]]
        leaf, root = raw(answer["leaf_hash"]), raw(answer["root_hash"])
        if leaf != proofs_data.synthetic_leaf(position) or not merkle.verify_inclusion(
            answer["leaf_index"], answer["tree_size"], leaf, path, root
        ):
            raise RuntimeError(f"the inclusion proof of position {position} does not verify")
        first = max(1, position - 1)
        answer = proofs.consistency(first)
        if not merkle.verify_consistency(
            first,
            answer["tree_size_2"],
            raw(answer["root_hash_1"]),
            raw(answer["root_hash_2"]),
            [raw(node) for node in answer["consistency_path"]],
        ):
            raise RuntimeError(f"the consistency proof from {first} does not verify")


# 3. and 4. Verify, export, replay -------------------------------------------------------


def verify_rate(services: Any) -> float:
    began = time.perf_counter()
    report = services.proofs.verify()
    seconds = time.perf_counter() - began
    if not report.ok:
        raise RuntimeError(f"the ledger does not verify: {report.as_json()['problems'][:3]}")
    return float(report.events) / seconds


def scan_rate(services: Any) -> float:
    began = time.perf_counter()
    count = rebuild.raw_scan(services.ledger)
    return count / (time.perf_counter() - began)


def has_command(name: str) -> bool:
    """Whether the ``ledger`` command has the subcommand ``name``."""
    try:
        common.ledger(name, "--help", timeout=120)
    except RuntimeError:
        return False
    return True


def start_up_seconds() -> float:
    """How long ``ledger --help`` takes: the part of a command's time that is start-up."""
    began = time.perf_counter()
    common.ledger("--help", timeout=120)
    return time.perf_counter() - began


class ExportReplay:
    """``ledger export FILE`` and ``ledger replay FILE`` as a user runs them, each a process
    of its own; every replay into a new store, since a replay refuses a ledger that is not
    empty."""

    def __init__(self, stores: proofs_data.Stores, source: str, events: int) -> None:
        self.stores = stores
        self.source = source
        self.events = events
        self.file = stores.file("export.log")
        self.replays = 0

    def export_rate(self) -> float:
        self.file.unlink(missing_ok=True)
        began = time.perf_counter()
        common.ledger("export", str(self.file), "--database", self.source)
        return self.events / (time.perf_counter() - began)

    def replay_rate(self) -> float:
        self.replays += 1
        target = self.stores.url(f"replay_{self.replays}")
        began = time.perf_counter()
        common.ledger("replay", str(self.file), "--database", target)
        return self.events / (time.perf_counter() - began)


@dataclass
class LogFigures:
    events: int
    build_rate: float
    results: dict[str, list[float]]
    profile: str | None
    start_up: float | None


def measure_log(stores: proofs_data.Stores, sizes: Sizes, profile: bool) -> LogFigures:
    """Verify, scan, and export and replay where the command has them, interleaved."""
    url = stores.url("log")
    with proofs_data.services_on(url) as services:
        built = scale_data.build(services.ledger, scale_data.subjects_for(sizes.events))
        common.progress(f"recorded {built.events:,} events in {built.seconds:.0f} s")
        events = services.ledger.last_position()
        sides: dict[str, Callable[[], float]] = {
            "verify": common.logged("verify", functools.partial(verify_rate, services), "events/s"),
            "scan": common.logged(
                "raw scan + decode", functools.partial(scan_rate, services), "events/s"
            ),
        }
        start_up = None
        if has_command("export") and has_command("replay"):
            start_up = start_up_seconds()
            commands = ExportReplay(stores, url, events)
            sides["export"] = common.logged("ledger export", commands.export_rate, "events/s")
            sides["replay"] = common.logged("ledger replay", commands.replay_rate, "events/s")
        else:
            common.progress("ledger export / replay: not in the ledger command, not measured")
        results = common.interleaved(sizes.repeats, sides)
        profiled = profiled_verify(services) if profile else None
    return LogFigures(events, built.events / built.seconds, results, profiled, start_up)


def profiled_verify(services: Any) -> str:
    """One more ``verify`` under pyinstrument: where its time goes, as text."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    services.proofs.verify()
    profiler.stop()
    flat = profiler.output_text(flat=True)
    tree = profiler.output_text(show_all=False)
    return f"{flat}\n{tree}"
