"""``ledger verify``, ``ledger signing-key create``, ``ledger export`` and ``ledger replay``:
the auditor's proofs from a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_ftm import AsOfOption, ExportFormat, FormatOption, KnownAtOption, export_ftm
from api.cli_options import DatabaseOption, console, settings_for, start_services
from domain.errors import InvalidValue, LedgerError

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.proofs.signed_note import NoteVerifier
    from application.proofs.stored_log import SQLStoredLog
    from application.proofs.verification import Report

app = typer.Typer(help="The key that signs the ledger's checkpoints.", no_args_is_help=True)

CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        exists=True,
        dir_okay=False,
        help="A checkpoint saved earlier (GET /v1/ledger/checkpoint as text): check that "
        "today's log still starts with the events it signed",
    ),
]


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on the terminal (none in a pipe); yields the function to advance it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda done: progress.advance(task, done)


@contextmanager
def services_of(database: str | None) -> Iterator[Services]:
    """The services for one command; a refusal is reported (exit 1), not shown as a
    traceback."""
    services = start_services(settings_for(database, projections="external"))
    try:
        yield services
    except LedgerError as refused:
        console.print(f"Refused: {refused.detail}", markup=False)
        raise typer.Exit(1) from None
    finally:
        services.close()


def verify(database: DatabaseOption = None, checkpoint: CheckpointOption = None) -> None:
    """Recompute every leaf from the stored events and the tree from its leaves; exit 1 at
    the first difference, naming its position."""
    note = None if checkpoint is None else checkpoint.read_text()
    with services_of(database) as services:
        with services.proofs.tree.reading() as statements:
            total = services.proofs.tree.size(statements)
        with progress_bar("Verifying", total) as advance:
            report = services.proofs.verify(note, advance)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(code=1)


def _print_report(report: Report) -> None:
    summary = report.as_json()
    if report.ok:
        console.print(
            f"Verified: {report.events} events, tree size {report.tree_size}, "
            f"root {summary['root_hash']}."
        )
    else:
        console.print(
            f"NOT VERIFIED: {report.problem_count} problem(s); the first bad position is "
            f"{report.first_bad_position}."
        )
        for problem in report.problems[:20]:
            where = "tree" if problem.position is None else f"position {problem.position}"
            console.print(f"  {where}: {problem.detail}")
    if report.checkpoint is not None:
        console.print(
            f"Checkpoint of {report.checkpoint['tree_size']}: {report.checkpoint['detail']}."
        )


@app.command("create")
def create_signing_key(
    database: DatabaseOption = None,
    origin: Annotated[
        str | None,
        typer.Option(
            envvar="LEDGER_LOG_ORIGIN",
            help="The log's name on its checkpoints, e.g. ledger.example.org/sanctions",
        ),
    ] = None,
) -> None:
    """Make the ledger's signing key, unless it has one; print its verifier key."""
    with services_of(database) as services:
        now = services.ledger.clock().isoformat()
        signer, made = services.signing_keys.create(origin, now)
    said = "Made" if made else "The ledger already has"
    console.print(f"{said} the signing key of the log {signer.name}; its verifier key:")
    sys.stdout.write(signer.vkey + "\n")


def export(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="The JSON Lines file to write")],
    database: DatabaseOption = None,
    format: FormatOption = ExportFormat.LEDGER,
    as_of: AsOfOption = None,
    known_at: KnownAtOption = None,
) -> None:
    """Write the whole ledger as JSON Lines (each event with its times, position and leaf
    hash), ending with a signed checkpoint; or, with --format ftm, the ledger at a read
    point as FollowTheMoney entities."""
    if format is ExportFormat.FTM:
        export_ftm(file, database, as_of, known_at)
        return
    if as_of is not None or known_at is not None:
        raise typer.BadParameter("only with --format ftm", param_hint="--as-of/--known-at")
    from application.proofs.transfer import export_lines
    from application.proofs.verification import b64

    with services_of(database) as services:
        log = _sql_log(services)
        with services.proofs.tree.reading() as statements:
            total = services.proofs.tree.size(statements)
        with progress_bar("Exporting", total) as advance, file.open("w") as out:
            out.writelines(export_lines(services.proofs, log, advance))
        checkpoint = services.proofs.checkpoint(tree_size=total)
    console.print(
        f"Exported {total} events to {file}; root {b64(checkpoint.checkpoint.root_hash)}."
    )


def replay(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A file 'ledger export' wrote")
    ],
    database: DatabaseOption = None,
    verifier_key: Annotated[
        str | None,
        typer.Option(
            help="Trust only checkpoints signed by this C2SP verifier key "
            "(GET /v1/ledger/public-key's verifier_key); default: the key the file names"
        ),
    ] = None,
) -> None:
    """Load an export into an empty ledger, on either store, checking every leaf and the
    final signed root; a file that does not verify is refused and nothing is stored."""
    from application.proofs.transfer import replay as replay_export
    from application.proofs.verification import b64

    trusted = None if verifier_key is None else _verifier(verifier_key)
    with services_of(database) as services, file.open() as lines:
        log = _sql_log(services)
        with progress_bar("Replaying", None) as advance:
            size, root = replay_export(lines, log, services.ledger.merkle, trusted, advance)
        position = services.projector.catch_up()
    console.print(
        f"Replayed {size} events; root {b64(root)}; the views reflect the log up to "
        f"position {position}."
    )


def _verifier(vkey: str) -> NoteVerifier:
    from application.proofs.signed_note import NoteVerifier

    try:
        return NoteVerifier.from_vkey(vkey)
    except ValueError as error:
        raise InvalidValue(f"--verifier-key: {error}") from None


def _sql_log(services: Services) -> SQLStoredLog:
    from application.proofs.stored_log import SQLStoredLog

    log = services.proofs.log
    if not isinstance(log, SQLStoredLog):
        raise InvalidValue("export and replay need a database: sqlite:/// or postgresql://")
    return log
