"""``ledger import``: turn published lists into the ledger's history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli_options import CLI_ACTOR, DatabaseOption, console, settings_for
from application.bootstrap import Services, bootstrap
from application.importers.importer import Importer, ImportSummary
from application.importers.publications import (
    Publication,
    dated_copies,
    observed_at_in_name,
    ofac_sdn,
    un_sc,
)
from application.importers.records import MalformedPublication
from domain.errors import LedgerError

app = typer.Typer(help="Import published lists: each publication's differences become events.")

ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("ofac-sdn")
def ofac_sdn_command(
    sdn: ExistingFile,
    observed_at: Annotated[
        str, typer.Option(help="When the publication was observed (ISO timestamp, UTC default)")
    ],
    alt: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Its alt.csv")
    ] = None,
    add: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Its add.csv")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Import one OFAC SDN publication (legacy CSV)."""
    publication = ofac_sdn(sdn, _moment(observed_at), alt=alt, add=add)
    _run(database, iter([publication]), total=1)


@app.command("ofac-sdn-history")
def ofac_history_command(
    location: Annotated[Path, typer.Argument(exists=True, help="A folder or a .tar.xz of copies")],
    database: DatabaseOption = None,
) -> None:
    """Import every dated copy of the SDN list in a folder or archive, oldest first; each
    copy's observed time is taken from its file name."""
    with dated_copies(location) as copies:
        publications = (ofac_sdn(p, observed_at_in_name(p.name)) for p in copies)
        _run(database, publications, total=len(copies))


@app.command("un-sc")
def un_sc_command(xml: ExistingFile, database: DatabaseOption = None) -> None:
    """Import one UN Security Council consolidated list (observed at its dateGenerated)."""
    _run(database, iter([un_sc(xml)]), total=1)


def _run(database: str | None, publications: Iterator[Publication], total: int) -> None:
    services = bootstrap(settings_for(database, projections="external"))
    try:
        summaries = _import_all(services, publications, total)
        with console.status("Bringing the views up to date"):
            services.projector.catch_up()
    finally:
        services.close()
    _report(summaries)


def _import_all(
    services: Services, publications: Iterator[Publication], total: int
) -> list[ImportSummary]:
    importer = Importer(services, CLI_ACTOR)
    summaries: list[ImportSummary] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=total == 1) as progress:
        task = progress.add_task("Importing", total=total)
        for publication in publications:
            progress.update(task, description=f"Importing {publication.file}")
            try:
                summaries.append(importer.run(publication))
            except MalformedPublication as error:
                console.print(f"[red]{error}[/red]; nothing of {error.source} was recorded")
                raise typer.Exit(code=2) from None
            except LedgerError as error:
                console.print(
                    f"[red]{publication.file}: {error.detail}[/red]; nothing was recorded"
                )
                raise typer.Exit(code=2) from None
            progress.advance(task)
    return summaries


def _report(summaries: list[ImportSummary]) -> None:
    table = Table(
        "publication", "observed at", "added", "amended", "rescinded", "unchanged", "events"
    )
    for s in summaries[-20:] if len(summaries) > 20 else summaries:
        table.add_row(
            s.file,
            s.observed_at.isoformat(),
            *(str(n) for n in (s.added, s.amended, s.rescinded, s.unchanged)),
            "already imported" if s.already_imported else str(s.events),
        )
    if len(summaries) > 1:
        table.add_row(
            f"total of {len(summaries)}",
            "",
            *(
                str(sum(getattr(s, f) for s in summaries))
                for f in ("added", "amended", "rescinded", "unchanged", "events")
            ),
        )
    console.print(table)
