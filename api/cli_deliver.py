"""``ledger deliver``: the webhook delivery worker, a process of its own.

Deliveries never run inside an API request: this worker reads the feed of changes for every
active subscription and POSTs each matching event, signed, in log order per subscription
(``application.webhooks``). Run one or several, on the same database as ``ledger serve``:
a subscription is delivered by one worker at a time (a lease), and a worker killed at any
moment loses nothing: what it had not committed is delivered again, with the same
``webhook-id``.
"""

from __future__ import annotations

import signal

import typer

from api.cli_options import (
    DatabaseOption,
    console,
    exit_on_signal,
    settings_for,
    start_services,
    stop_on_signal,
)


def deliver(database: DatabaseOption = None) -> None:
    """Deliver webhooks to the subscriptions until SIGTERM or Ctrl-C, which let the
    deliveries in flight finish first."""
    from pydantic import ValidationError

    from api.logging import configure_logging
    from application.stores import store_for
    from application.webhooks.progress import Progress
    from application.webhooks.settings import WebhookSettings
    from application.webhooks.worker import Deliverer, feed_of

    settings = settings_for(database, projections="external")
    configure_logging(settings.log_level, settings.log_format)
    if store_for(settings.database_url).name == "memory":
        console.print(
            "Refused: memory:// gives each process a ledger of its own, so a worker would "
            "see no subscription. Point --database at the SQLite file or PostgreSQL database "
            "'ledger serve' uses."
        )
        raise typer.Exit(2)
    try:
        chosen = WebhookSettings()
    except ValidationError as error:
        console.print(f"Refused: the LEDGER_WEBHOOK_* settings are invalid:\n{error}")
        raise typer.Exit(2) from None
    # Stopped while it starts, the worker has nothing to finish: it exits with status 0.
    signal.signal(signal.SIGTERM, exit_on_signal)
    services = start_services(settings)
    try:
        deliverer = Deliverer(Progress(services.tables), feed_of(services.ledger), chosen)
        console.print("Delivering webhooks; stop with Ctrl-C or SIGTERM.")
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            signal.signal(stop_signal, stop_on_signal(deliverer.stop))
        deliverer.run()
    finally:
        services.close()
