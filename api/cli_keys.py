"""``ledger keys``: create, revoke and list API keys from a terminal.

The command line needs no key of its own: whoever can run it can already open the database.
That is how the first admin key of a deployment comes to exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_options import PROGRAM, DatabaseOption, console, settings_for, start_services
from application.keys import CLI, Role
from domain.errors import LedgerError

if TYPE_CHECKING:
    from application.bootstrap import Services

app = typer.Typer(help="Create, revoke and list API keys.", no_args_is_help=True)


@contextmanager
def _services(database: str | None) -> Iterator[Services]:
    """The services for one command; a refusal is reported, not shown as a traceback."""
    services = start_services(settings_for(database))
    try:
        yield services
    except LedgerError as refused:
        console.print(f"Refused: {refused.detail}")
        raise typer.Exit(1) from None
    finally:
        services.close()


@app.command()
def create(
    role: Annotated[Role, typer.Option(help="What the key may do")],
    name: Annotated[str, typer.Option(help="Who or what uses it; recorded with its writes")],
    database: DatabaseOption = None,
    if_none: Annotated[
        bool,
        typer.Option("--if-none", help="Create it only if the ledger has no key yet"),
    ] = False,
) -> None:
    """Create a key and print its token, alone on the last line: it is shown only once."""
    with _services(database) as services:
        if if_none and services.keys.exist():
            console.print(
                "The ledger has API keys already. Make another with: "
                f"{PROGRAM} keys create --role admin --name NAME"
            )
            return
        issued = services.keys.issue(role, name, created_by=CLI)
    console.print(
        f"Created the {issued.key.role.value} key {issued.key.id} ({issued.key.name!r}). "
        "Its token follows, shown this once; send it as 'Authorization: Bearer <token>':"
    )
    typer.echo(issued.token)


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help=f"The key's id (as `{PROGRAM} keys list` shows)")],
    database: DatabaseOption = None,
) -> None:
    """Revoke a key: every request with it is refused from now on."""
    with _services(database) as services:
        key = services.keys.revoke(key_id, revoked_by=CLI)
    console.print(f"Revoked the {key.role.value} key {key.id} ({key.name!r}).")


@app.command("list")
def list_keys(database: DatabaseOption = None) -> None:
    """Every key: id, role, name, and whether it is revoked (never a secret)."""
    with _services(database) as services:
        keys = services.keys.all()
    for key in keys:
        state = "active" if key.active else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        typer.echo(f"{key.id}  {key.role.value:<8}  {state:<24}  {key.name}")
