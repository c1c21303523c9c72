"""``ledger export --format ftm FILE``: the ledger at a read point as FollowTheMoney
entities, one JSON object a line, as OpenSanctions' tools (yente, nomenklatura) load them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_options import as_of_moment, console, settings_for, start_services
from domain.errors import LedgerError

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.read_points import ReadPoint


class ExportFormat(StrEnum):
    LEDGER = "ledger"
    """Every event with its proofs, for ``ledger replay`` and auditors."""
    FTM = "ftm"
    """The ledger at a read point as FollowTheMoney entities."""


FormatOption = Annotated[
    ExportFormat,
    typer.Option(
        "--format",
        help="ledger: every event with its times, position and leaf hash, ending with a signed "
        "checkpoint (for ledger replay); ftm: the ledger at --as-of/--known-at as "
        "FollowTheMoney entities",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(help="With --format ftm: effective time (ISO date or timestamp). Default: now"),
]
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        help="With --format ftm: recorded time (ISO timestamp or position:N). Default: now"
    ),
]


def export_ftm(file: Path, database: str | None, as_of: str | None, known_at: str | None) -> None:
    """Bring the views up to date, then write every entity at the read point asked; a
    refused read point is reported (exit 1), not shown as a traceback."""
    moment = as_of_moment(as_of)
    services = start_services(settings_for(database, projections="external"))
    try:
        point, written = _write(services, file, moment, known_at)
    except LedgerError as refused:
        console.print(f"Refused: {refused.detail}", markup=False)
        raise typer.Exit(1) from None
    finally:
        services.close()
    described = point.describe()
    console.print(
        f"Exported {written} FollowTheMoney entities to {file} (as of {described['as_of']}, "
        f"known at {described['known_at']}, position {described['position']}).",
        markup=False,
    )


def _write(
    services: Services, file: Path, as_of: datetime | None, known_at: str | None
) -> tuple[ReadPoint, int]:
    services.projector.catch_up()
    # Imported here: followthemoney takes over a second to load, and every other command
    # would pay for it.
    from api.json_answers import encode
    from application.exports.ftm import ftm_export

    export = ftm_export(services)
    point = services.reader.point(as_of, known_at)
    written = 0
    with console.status("Exporting"), file.open("w", encoding="utf-8") as out:
        for page in export.pages(point):
            out.writelines(encode(entity) + "\n" for entity in page)
            written += len(page)
    return point, written
