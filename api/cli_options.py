"""Options and helpers every ``ledger`` subcommand shares.

The ``ledger`` modules import what a command needs (the settings, the stores, the app, the
importers) in the command itself, so that ``ledger --help``, a mistyped option and the light
commands answer without loading all of it: the whole took over two seconds to import.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from domain.values import Actor

if TYPE_CHECKING:
    from application.bootstrap import Services
    from application.settings import Settings

# Soft wrap: a message is never cut into lines at the terminal's width (80 columns when
# piped), which would split the commands that hints name; the terminal wraps it if it must.
console = Console(stderr=True, soft_wrap=True)


NAME = "ledger"


def invoked_as(argv0: str | None = None) -> str:
    """The command as the user can type it again: ``ledger`` where that name on PATH is this
    very program, else the path it was started by (e.g. ``.venv/bin/ledger``)."""
    path = argv0 if argv0 is not None else sys.argv[0]
    if os.path.basename(path) != NAME or not os.path.exists(path):
        return NAME  # run some other way (in-process, by tests): the installed name
    found = shutil.which(NAME)
    if found and os.path.samefile(found, path):
        return NAME
    return shlex.quote(path)


PROGRAM = invoked_as()
"""How hints name the ``ledger`` command."""

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


def start_services(settings: Settings) -> Services:
    """The ledger's services on ``settings``, their modules imported now that a command
    needs them."""
    from application.bootstrap import bootstrap

    return bootstrap(settings)


def settings_for(database: str | None, **overrides: object) -> Settings:
    from application.settings import Settings

    values = {key: value for key, value in overrides.items() if value is not None}
    if database:
        values["database_url"] = database
    return Settings(**values)  # type: ignore[arg-type]


def as_of_moment(as_of: str | None) -> datetime | None:
    """The ``--as-of`` option read as a moment (a date or a timestamp), or ``None``."""
    if as_of is None:
        return None
    from api.schemas.common import parse_moment  # the API's schemas: only for a moment given

    try:
        moment: datetime = parse_moment(as_of)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--as-of") from None
    return moment


def exit_on_signal(_signum: int, _frame: FrameType | None) -> None:
    """A signal handler for a worker still starting: nothing to finish, so just exit."""
    raise SystemExit(0)


def stop_on_signal(stop: Callable[[], None]) -> Callable[[int, FrameType | None], None]:
    """A signal handler that asks a running worker to stop after the work in hand."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop()

    return handler
