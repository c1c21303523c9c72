"""``ledger screen``: a file of names screened against the ledger from a terminal.

The file is read and checked whole before its first row is screened, as the API checks a
batch: a bad row refuses the file and keeps no receipt, rather than leaving half an answer
in the output. The answer is JSON Lines, as ``POST /v1/screenings`` streams it (a header
with the screening's id, read point and signed checkpoint, then one result per row), and is
kept as a receipt that ``GET /v1/screenings/{id}`` shows and redoes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer

from api.cli_options import CLI_ACTOR, DatabaseOption, as_of_moment, console
from api.cli_proofs import progress_bar, services_of
from application.screening.scoring import THRESHOLD

MEDIA_TYPES = {
    ".csv": "text/csv",
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
}
"""How each kind of file is read, by its extension."""


def screen(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="A CSV file (a header row naming the columns name, and optionally kind, "
            "birth_date, country, identifier) or a JSON Lines file (.jsonl, .ndjson: one query "
            "object a line), of up to 100,000 rows",
        ),
    ],
    as_of: Annotated[
        str | None,
        typer.Option(help="Effective time: who was sanctioned then (ISO date). Default: now"),
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option(
            help="Recorded time: as the ledger knew then (ISO timestamp or position:N). "
            "Default: now"
        ),
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0, max=1, help="The lowest score a hit may have")
    ] = THRESHOLD,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Hits per row, at most")] = 5,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster",
            help="One hit per cluster of linked subjects, listing every member with its "
            "authority and measures in force",
        ),
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="The JSON Lines file to write. Default: stdout"),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Screen every row of a file against the subjects under measures at a point in both
    times; write the answer as JSON Lines, kept as a receipt."""
    from api.json_answers import encode
    from api.schemas.screening import batch_queries
    from application.screening.service import ScreeningRequest

    media_type = _media_type(file)
    moment = as_of_moment(as_of)
    text = file.read_text(encoding="utf-8-sig")
    with services_of(database) as services:
        queries = batch_queries(text, media_type)
        services.projector.catch_up()
        request = ScreeningRequest(
            queries=(),
            as_of=moment,
            known_at=known_at,
            threshold=threshold,
            limit=limit,
            cluster=cluster,
        )
        batch = services.screening.screen_rows(queries, request, CLI_ACTOR.id)
        with _opened(output) as out, progress_bar("Screening", len(queries)) as advance:
            out.write(encode(batch.header) + "\n")
            for result in batch.results:
                out.write(encode(result) + "\n")
                advance(1)
    point = batch.header["read_point"]
    console.print(
        f"Screened {len(queries)} rows at position {point['position']} (as of "
        f"{point['as_of']}); receipt {batch.header['screening_id']}.",
        markup=False,
    )


def _media_type(file: Path) -> str:
    media_type = MEDIA_TYPES.get(file.suffix.lower())
    if media_type is None:
        raise typer.BadParameter(
            f"{file.name} is neither .csv nor .jsonl/.ndjson", param_hint="FILE"
        )
    return media_type


@contextmanager
def _opened(output: Path | None) -> Iterator[TextIO]:
    if output is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with output.open("w", encoding="utf-8") as out:
        yield out
