"""Options and helpers every ``ledger`` subcommand shares."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from application.settings import Settings
from domain.values import Actor

console = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        envvar="LEDGER_DATABASE_URL",
        help="sqlite:///path.db (default sqlite:///ledger.db), postgresql://user@host/dbname",
        show_default=False,
    ),
]
CLI_ACTOR = Actor(id="cli", name="ledger command line")


def settings_for(database: str | None, **overrides: object) -> Settings:
    values = {key: value for key, value in overrides.items() if value is not None}
    if database:
        values["database_url"] = database
    return Settings(**values)  # type: ignore[arg-type]
