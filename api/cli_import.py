"""``ledger import``: turn published lists into the ledger's history.

A file or value the import refuses (a malformed list, a DTD in an XML file, an unreadable
archive, an ``--observed-at`` that is no time) is reported as one line on stderr naming the
file and the problem, with exit status 2 and no traceback; nothing of that file is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.text import Text

from api.cli_options import CLI_ACTOR, DatabaseOption, console, settings_for, start_services
from application.collector import full_passes_held_off
from application.importers.records import MalformedPublication
from domain.errors import LedgerError

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.importers.importer import ImportSummary
    from application.importers.publications import Publication

app = typer.Typer(help="Import published lists: each publication's differences become events.")

ExistingFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
AnnouncedOnOption = Annotated[
    str | None,
    typer.Option(
        help="The day the publisher announced the changes this copy shows (ISO date, not "
        "after the copy's own day): they take effect from it, not from the observed time"
    ),
]
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class _Refusal(Exception):
    """A file or value the import refuses; its text is the whole line to report."""


@contextmanager
def _refusals() -> Iterator[None]:
    """Report whatever the import refuses as one line with exit status 2, never a traceback."""
    try:
        yield
    except _Refusal as refusal:
        _refuse(str(refusal))
    except MalformedPublication as error:
        _refuse(f"{error}; nothing of {error.source} was recorded")
    except LedgerError as error:
        _refuse(f"{error.detail}; nothing was recorded")


def _refuse(message: str) -> NoReturn:
    # Escaped and unwrapped: a message quotes the file's name and text, and must stay one line
    # (no line breaks, no terminal control codes, no rich markup) whatever they hold.
    line = _LINE_BREAKING.sub(lambda found: repr(found.group())[1:-1], message)
    console.print(Text(line, style="red"), soft_wrap=True)
    raise typer.Exit(code=2)


def _moment(text: str | None) -> datetime:
    """``--observed-at`` as an aware UTC time; a time given without a zone is read as UTC."""
    if text is None:
        raise _Refusal("--observed-at is missing: when was the publication observed?")
    try:
        moment = datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        raise _Refusal(f"--observed-at {text!r} is not an ISO timestamp") from None
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in year 10000 in UTC
        raise _Refusal(f"--observed-at {text!r} lies outside the calendar in UTC") from None


def _day(text: str | None) -> date | None:
    """``--announced-on`` as a date."""
    from application.importers.announcements import announced_day

    return None if text is None else announced_day(text, "--announced-on")


@app.command("ofac-sdn")
def ofac_sdn_command(
    sdn: ExistingFile,
    # Optional for typer only, so that a missing value is refused in one line like the rest.
    observed_at: Annotated[
        str | None,
        typer.Option(
            help="When the publication was observed (ISO timestamp, UTC default); required"
        ),
    ] = None,
    alt: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Its alt.csv")
    ] = None,
    add: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Its add.csv")
    ] = None,
    announced_on: AnnouncedOnOption = None,
    database: DatabaseOption = None,
) -> None:
    """Import one OFAC SDN publication (legacy CSV)."""
    from application.importers.publications import ofac_sdn

    with _refusals():
        publication = ofac_sdn(sdn, _moment(observed_at), alt=alt, add=add)
        publication = publication.announced(_day(announced_on))
        _run(database, iter([publication]), total=1)


@app.command("ofac-sdn-history")
def ofac_history_command(
    location: Annotated[Path, typer.Argument(exists=True, help="A folder or a .tar.xz of copies")],
    announcements: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="A JSON object or CSV file (copy,announced_on) naming the day each copy's "
            "changes were announced; a copy by file name, time in its name or observed day",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Import every dated copy of the SDN list in a folder or archive, oldest first; each
    copy's observed time is taken from its file name."""
    from application.importers.announcements import (
        announcement_for,
        check_announcements,
        read_announcements,
    )
    from application.importers.publications import dated_copies, observed_at_in_name, ofac_sdn

    with _refusals(), dated_copies(location) as copies:
        announced = {} if announcements is None else read_announcements(announcements)
        dated = [(p.name, observed_at_in_name(p.name)) for p in copies]
        check_announcements(announced, dated)
        publications = (
            ofac_sdn(p, observed).announced(announcement_for(announced, name, observed))
            for p, (name, observed) in zip(copies, dated, strict=True)
        )
        _run(database, publications, total=len(copies))


@app.command("un-sc")
def un_sc_command(
    xml: ExistingFile, announced_on: AnnouncedOnOption = None, database: DatabaseOption = None
) -> None:
    """Import one UN Security Council consolidated list (observed at its dateGenerated)."""
    from application.importers.publications import un_sc

    with _refusals():
        _run(database, iter([un_sc(xml).announced(_day(announced_on))]), total=1)


def _run(database: str | None, publications: Iterator[Publication], total: int) -> None:
    services = start_services(settings_for(database, projections="external"))
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
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from application.importers.importer import Importer

    importer = Importer(services, CLI_ACTOR)
    summaries: list[ImportSummary] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # Only on a terminal: elsewhere a finished bar leaves a stray empty line in the output.
    shown = console.is_terminal
    # The mirrors and the subjects read ahead live from one publication to the next, and each
    # of the collector's full passes walked them all: in an import of the OFAC history 15
    # passes took 2.7 of 34 s, and a full pass after it found 52 objects to free.
    with (
        full_passes_held_off(),
        Progress(*columns, console=console, transient=total == 1, disable=not shown) as progress,
    ):
        task = progress.add_task("Importing", total=total)
        for publication in publications:
            progress.update(task, description=f"Importing {publication.file}")
            try:
                summaries.append(importer.run(publication))
            except LedgerError as error:
                # Reported by ``_refusals`` once the progress display is gone.
                message = f"{publication.file}: {error.detail}; nothing was recorded"
                raise _Refusal(message) from None
            progress.advance(task)
    return summaries


def _report(summaries: list[ImportSummary]) -> None:
    from rich.table import Table

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
