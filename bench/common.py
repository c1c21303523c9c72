"""What every benchmark shares: the code under test, servers, keys, repeats and output.

A benchmark compares the project with a baseline (a bare app, the library alone, a raw scan)
in one run, the two sides interleaved and repeated, and reports the median of each side with
the load average, since the machine is shared. ``--project DIR`` points a run at another
checkout of the ledger (e.g. the previous commit's worktree): child processes get it first on
their ``PYTHONPATH`` and this process imports the ledger from it, so a script measures
whichever code it is given through the ledger's public interfaces only (HTTP, the ``ledger``
command, ``application.bootstrap``, ``Ledger.execute``, the projector, the importer).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psutil  # type: ignore[import-untyped]

BENCH = Path(__file__).resolve().parent
REPOSITORY = BENCH.parent
VENV_BIN = Path(sys.executable).parent
LEDGER = str(VENV_BIN / "ledger")
SERVER_ENV = {
    # A benchmark sends far more than a client's fair share: the limits would answer 429.
    "LEDGER_RATE_LIMIT_PER_MINUTE": "1000000000",
    "LEDGER_RATE_LIMIT_BURST": "1000000000",
}


# The code under test --------------------------------------------------------------------


def common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repeats", type=int, default=3, help="repeats per side (median)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--project",
        type=Path,
        default=None,
        help="the checkout of the ledger to measure (default: this one)",
    )


def use_project(project: Path | None) -> None:
    """Import the ledger from ``project`` in this process and in every child it starts.

    Call before importing anything of the ledger."""
    if project is None:
        return
    root = str(project.resolve())
    sys.path.insert(0, root)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])]
    )


def project_label(project: Path | None) -> str:
    return str((project or REPOSITORY).resolve())


# Measurement helpers --------------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def rss_mib(pid: int) -> float:
    """The resident memory of a process and its children, in MiB."""
    process = psutil.Process(pid)
    total: int = process.memory_info().rss
    for child in process.children(recursive=True):
        with suppress(psutil.NoSuchProcess):
            total += child.memory_info().rss
    return total / 2**20


def interleaved(repeats: int, sides: dict[str, Callable[[], Any]]) -> dict[str, list[Any]]:
    """Run each side once per repeat, in turn, so that a change in the machine's load falls
    on both sides alike; returns every side's results in order."""
    results: dict[str, list[Any]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, run in sides.items():
            results[name].append(run())
    return results


_numbers = itertools.count(int(time.time()) * 1000)
_numbers_lock = threading.Lock()


def shared_data() -> Path:
    """The real lists (``$LEDGER_SHARED_DATA``, default ``../shared/data`` beside the
    checkout): read from there, never copied into the repository."""
    configured = os.environ.get("LEDGER_SHARED_DATA")
    return Path(configured) if configured else REPOSITORY.parent / "shared" / "data"


def logged(label: str, run: Callable[[], float], unit: str, digits: int = 0) -> Callable[[], float]:
    """``run``, printing each rate it measures as it comes."""

    def once() -> float:
        rate = float(run())
        progress(f"{label}: {rate:,.{digits}f} {unit}")
        return rate

    return once


def unique_number() -> int:
    """A number no earlier call in any run gave: for references no subject holds yet."""
    with _numbers_lock:
        return next(_numbers)


def registrations(source: str) -> Callable[[], Any]:
    """A maker of registrations of new companies (two events each: the subject and its
    reference's claim), each under a reference no subject holds yet."""
    from application.commands import Citation, RegisterSubject
    from domain.values import Authority, Name, Profile, Reference, Source, SubjectKind

    citation = Citation(source=Source(Authority.US_OFAC, source))
    moment = datetime(2021, 12, 10, tzinfo=UTC)

    def command() -> Any:
        n = unique_number()
        return RegisterSubject(
            kind=SubjectKind.ORGANIZATION,
            profile=Profile((Name(f"COMPANY NUMBER {n}"),)),
            references=(Reference(Authority.US_OFAC, str(n)),),
            effective_at=moment,
            citation=citation,
        )

    return command


def threaded(threads: int, seconds: float, write: Callable[[], object]) -> float:
    """Call ``write`` from ``threads`` threads until ``seconds`` pass; the elapsed time.
    The first failure of any thread is raised once all have stopped."""
    failures: list[BaseException] = []
    stop = time.monotonic() + seconds

    def work() -> None:
        try:
            while time.monotonic() < stop:
                write()
        except BaseException as error:
            failures.append(error)

    began = time.monotonic()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return time.monotonic() - began


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def redacted(database_url: str) -> str:
    """A database URL without its password, if it has one."""
    return re.sub(r"(//[^:/@]*):[^@/]*@", r"\1:***@", database_url)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Processes ------------------------------------------------------------------------------


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def rss_mib(self) -> float:
        return rss_mib(self.process.pid)


def ledger(*args: str, env: dict[str, str] | None = None, timeout: float = 3600) -> str:
    """Run the ``ledger`` command; its standard output, or an error with all it printed."""
    done = subprocess.run(
        [LEDGER, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ledger {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def create_key(database: str, role: str = "admin", name: str = "bench") -> str:
    """A new API key's secret: the last line ``ledger keys create`` prints."""
    output = ledger("keys", "create", "--role", role, "--name", name, "--database", database)
    return output.strip().splitlines()[-1].strip()


@contextmanager
def started(command: list[str], env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server process on a free port (``{port}`` in the command), up once /health answers.
    Its output goes to a temporary file, shown if it does not start."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            argv,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **SERVER_ENV, **(env or {})},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    output.seek(0)
                    raise RuntimeError(
                        f"{' '.join(argv)} did not start:\n{output.read().decode()[-4000:]}"
                    )
                time.sleep(0.1)
            yield Server(base, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def serve_ledger(
    database: str, workers: int = 1, env: dict[str, str] | None = None
) -> Any:  # a context manager of a Server
    """``ledger serve`` on ``database``, as a user starts it."""
    command = [LEDGER, "serve", "--database", database, "--port", "{port}"]
    if workers != 1:
        command += ["--workers", str(workers)]
    return started(command, env)


def serve_bare(env: dict[str, str] | None = None) -> Any:  # a context manager of a Server
    """The bare FastAPI app (bench/bare_app.py), served by uvicorn as ``ledger serve`` is."""
    return started([sys.executable, str(BENCH / "bare_app.py"), "--port", "{port}"], env)


# Output ---------------------------------------------------------------------------------


@dataclass
class Report:
    title: str
    project: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_average_before: str = field(default_factory=load_average)
    load_average_after: str = ""

    def add(self, *row: Any) -> None:
        self.rows.append(list(row))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def show(self, as_json: bool) -> None:
        self.load_average_after = load_average()
        if as_json:
            print(json.dumps(asdict(self), indent=2, default=str))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table()
        for index, column in enumerate(self.columns):
            table.add_column(column, justify="left" if index == 0 else "right")
        for row in self.rows:
            table.add_row(*(_cell(value) for value in row))
        console = Console(width=None if sys.stdout.isatty() else 160)
        console.print(self.title, style="bold")
        console.print(table)
        console.print(f"project: {self.project}")
        for text in self.notes:
            console.print(text)
        console.print(
            f"load average (1, 5, 15 min): {self.load_average_before} before, "
            f"{self.load_average_after} after"
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def progress(text: str) -> None:
    """A line of progress on standard error, so that ``--json`` output stays clean."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
