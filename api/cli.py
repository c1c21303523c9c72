"""The ``ledger`` command: serve the API and manage the ledger from a terminal."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api import cli_import, cli_keys, cli_views
from api.cli_options import CLI_ACTOR, DatabaseOption, console, settings_for
from api.logging import configure_logging
from api.main import create_app
from application.bootstrap import bootstrap
from application.demo.founding_example import load_founding_example
from application.storage import redact

app = typer.Typer(help="The sanctions ledger.", no_args_is_help=True)
app.add_typer(cli_keys.app, name="keys")
app.add_typer(cli_import.app, name="import")


@app.command()
def serve(
    database: DatabaseOption = None,
    host: Annotated[
        str | None, typer.Option(envvar="LEDGER_HOST", help="Default 127.0.0.1")
    ] = None,
    port: Annotated[int | None, typer.Option(envvar="LEDGER_PORT", help="Default 8000")] = None,
) -> None:
    """Serve the HTTP API."""
    settings = settings_for(database, host=host, port=port)
    configure_logging(settings.log_level, settings.log_format)
    console.print(
        f"Serving the ledger on http://{settings.host}:{settings.port} "
        f"({redact(settings.database_url)}); API docs at /docs"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=True,
    )


@app.command()
def demo(database: DatabaseOption = None) -> None:
    """Load the founding example (10 December 2021) into the ledger, once."""
    services = bootstrap(settings_for(database))
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


for command in (cli_views.project, cli_views.rebuild, cli_views.check):
    app.command()(command)
