"""The ``ledger`` command: serve the API and manage the ledger from a terminal."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api import cli_import, cli_keys, cli_proofs, cli_screen, cli_views
from api.cli_deliver import deliver
from api.cli_links import app as links_app
from api.cli_options import (
    CLI_ACTOR,
    PROGRAM,
    DatabaseOption,
    console,
    settings_for,
    start_services,
)
from application.stores import redact, store_for
from domain.errors import InvalidValue

if TYPE_CHECKING:
    from application.settings import Settings


class LedgerCommand(typer.Typer):
    """The ``ledger`` command, named in its usage lines as the user invoked it, and formatted
    plainly when not on a terminal: Rich's panels are 80 columns wide in a pipe and would cut
    a long command in two."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("prog_name", PROGRAM)
        if not (sys.stdout.isatty() and sys.stderr.isatty()):
            self.rich_markup_mode = None
        return super().__call__(*args, **kwargs)


app = LedgerCommand(help="The sanctions ledger.", no_args_is_help=True)
app.add_typer(cli_keys.app, name="keys")
app.add_typer(cli_import.app, name="import")
app.add_typer(cli_proofs.app, name="signing-key")
app.add_typer(links_app, name="links")


@app.command()
def serve(
    database: DatabaseOption = None,
    host: Annotated[
        str | None, typer.Option(envvar="LEDGER_HOST", help="Default 127.0.0.1")
    ] = None,
    port: Annotated[int | None, typer.Option(envvar="LEDGER_PORT", help="Default 8000")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            envvar="LEDGER_WORKERS",
            min=1,
            max=64,
            help="Server processes (default 1); more than one needs PostgreSQL",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API; SIGTERM lets requests in flight finish, then exits with status 0."""
    import uvicorn

    from api.http_protocol import UVICORN_HTTP
    from api.logging import configure_logging
    from api.main import create_app

    settings = settings_for(database, host=host, port=port, workers=workers)
    configure_logging(settings.log_level, settings.log_format)
    refusal = _serve_refusal(settings)
    if refusal is not None:
        console.print(refusal)
        raise typer.Exit(2)
    base = f"http://{settings.host}:{settings.port}"
    processes = f"{settings.workers} processes, " if settings.workers > 1 else ""
    console.print(
        f"Serving the ledger on {base} ({processes}{redact(settings.database_url)}); "
        f"API docs at {base}/docs; stop with Ctrl-C"
    )
    _stop_quietly_on(signal.SIGINT, signal.SIGTERM)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        # uvicorn's access lines hold the URL as sent, secrets and all; api.access_log
        # writes one per request with only what is safe to show.
        "access_log": False,
        # On SIGTERM uvicorn stops accepting, lets requests in flight finish for up to this
        # long, then closes the app (its lifespan closes the database).
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
        # uvloop when it is installed; httptools, each answer's head sent with its body.
        "loop": "auto",
        "http": UVICORN_HTTP,
        # The Date and Server headers cost nothing per request: uvicorn encodes them once and
        # renews the date once per tick of its main loop, not per answer.
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Each worker builds its app from the environment: hand it what the options chose.
    os.environ["LEDGER_DATABASE_URL"] = settings.database_url
    with _metrics_directory():
        uvicorn.run("api.main:serve_app", factory=True, workers=settings.workers, **options)


def _serve_refusal(settings: Settings) -> str | None:
    """Why these settings cannot be served (a URL of no store, several server processes on
    a store they cannot share), if they cannot."""
    try:
        store = store_for(settings.database_url)
    except InvalidValue as error:
        return f"Refused: {error.detail}."
    if settings.workers == 1 or store.shared_by_processes:
        return None
    return (
        f"Refused: --workers {settings.workers} needs PostgreSQL. On SQLite one process at a "
        "time may write, so several would wait on each other's locks, and memory:// would give "
        "each process a ledger of its own. Serve with one process, or point --database at "
        "PostgreSQL (postgresql://user@host/dbname)."
    )


@contextmanager
def _metrics_directory() -> Iterator[None]:
    """Where the worker processes keep their metrics for each other: the operator's
    ``PROMETHEUS_MULTIPROC_DIR``, or a temporary directory removed when the server stops."""
    from api.metrics import MULTIPROCESS_DIR

    if os.environ.get(MULTIPROCESS_DIR):
        yield
        return
    directory = tempfile.mkdtemp(prefix="ledger-metrics-")
    os.environ[MULTIPROCESS_DIR] = directory
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_DIR]
        shutil.rmtree(directory, ignore_errors=True)


def _stop_quietly_on(*signals: signal.Signals) -> None:
    """Make a stop signal end the command with status 0 and no traceback.

    uvicorn catches SIGINT and SIGTERM to shut down gracefully, then restores the handlers it
    found and raises the signal again, for whoever started it: with Python's own handlers
    that is a KeyboardInterrupt traceback, or a death by SIGTERM that ``make`` reports as an
    error. This handler, restored and called instead, exits normally: a stop is the way a
    server ends, not a failure. A signal before uvicorn starts ends the command the same way.
    """

    def stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        raise SystemExit(0)

    for stop_signal in signals:
        signal.signal(stop_signal, stop)


@app.command()
def demo(database: DatabaseOption = None) -> None:
    """Load the founding example (10 December 2021) into the ledger, once."""
    from application.demo.founding_example import load_founding_example

    services = start_services(settings_for(database))
    try:
        receipt = load_founding_example(services.ledger, CLI_ACTOR)
    finally:
        services.close()
    if receipt is None:
        console.print("The founding example is already in the ledger.")
    else:
        console.print(
            f"Recorded the founding example: {len(receipt.subject_ids)} subjects, "
            f"{len(receipt.measure_ids)} measures, {len(receipt.events)} events "
            f"(log position {receipt.position})."
        )


for command in (
    cli_views.project,
    cli_views.rebuild,
    cli_views.check,
    cli_proofs.verify,
    cli_proofs.export,
    cli_proofs.replay,
    cli_screen.screen,
):
    app.command()(command)

app.command()(deliver)
