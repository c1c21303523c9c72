"""``ledger project``, ``ledger rebuild`` and ``ledger check``: running and checking the views."""

from __future__ import annotations

import contextlib
import signal
from typing import Annotated

import typer

from api.cli_options import (
    DatabaseOption,
    console,
    exit_on_signal,
    settings_for,
    start_services,
    stop_on_signal,
)


def project(
    database: DatabaseOption = None,
    once: Annotated[bool, typer.Option(help="Catch up once and exit")] = False,
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=10_000, help="Events per transaction (default 500)")
    ] = None,
) -> None:
    """Keep the views up to date with the log, as a process of its own.

    Several may run at once: one projects at a time, the others stand by. Killing one at any
    moment loses nothing: the next carries on from the last batch that committed.
    """
    from api.logging import configure_logging

    settings = settings_for(database, projections="external", projection_batch_size=batch_size)
    configure_logging(settings.log_level, settings.log_format)
    # Stopped while it starts, the worker has nothing to finish: it exits with status 0.
    signal.signal(signal.SIGTERM, exit_on_signal)
    services = start_services(settings)
    try:
        if once:
            position = services.projector.catch_up()
            console.print(f"The views reflect the log up to position {position}.")
            return
        console.print("Projecting; stop with Ctrl-C or SIGTERM.")
        signal.signal(signal.SIGTERM, stop_on_signal(services.runner.stop))
        with contextlib.suppress(KeyboardInterrupt):
            services.runner.run()
    finally:
        services.close()


def rebuild(database: DatabaseOption = None) -> None:
    """Empty the views and project the whole log again."""
    services = start_services(settings_for(database, projections="external"))
    try:
        position = services.projector.rebuild()
    finally:
        services.close()
    console.print(f"Rebuilt the views from the log up to position {position}.")


def check(database: DatabaseOption = None) -> None:
    """Compare every view with a full replay of the log, and the Merkle tree with the
    events (as 'ledger verify' does); exit 1 on any difference."""
    from application.views.check import check_views

    services = start_services(settings_for(database, projections="external"))
    try:
        report = check_views(services.ledger, services.views)
        tree = services.proofs.verify()
    finally:
        services.close()
    if tree.ok:
        console.print(f"The Merkle tree holds every event ({tree.tree_size} leaves).")
    else:
        console.print(
            f"The Merkle tree does not match the log: {tree.problem_count} problem(s), the "
            f"first at position {tree.first_bad_position} (see 'ledger verify')."
        )
    counts = ", ".join(f"{table} {rows}" for table, rows in report.rows.items())
    if report.behind:
        console.print(
            f"The views are behind the log by {report.behind} positions: they reflect it up to "
            f"position {report.position}, and the log ended at {report.log_position} when "
            "the check began. Is a projector running? ('ledger project --once' catches up.)"
        )
    if report.ok:
        console.print(
            f"The views equal a replay of the log up to position {report.position} ({counts})."
        )
        if not tree.ok:
            raise typer.Exit(code=1)
        return
    if report.differences:
        console.print(
            f"The views differ from a replay of the log up to position {report.position}:"
        )
    for table, difference in report.differences.items():
        console.print(
            f"  {table}: {len(difference.only_in_views)} rows only in the views, "
            f"{len(difference.only_in_replay)} only in the replay"
        )
        for row in difference.only_in_views[:3]:
            console.print(f"    views:  {row}")
        for row in difference.only_in_replay[:3]:
            console.print(f"    replay: {row}")
    raise typer.Exit(code=1)
