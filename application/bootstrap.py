"""The composition root: the one place where settings become running parts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.idempotency import IdempotencyStore
from application.keys import Keys
from application.ledger import Clock, Ledger, utc_now
from application.log_positions import LogPositions
from application.proofs.service import Proofs
from application.proofs.signed_note import NoteSigner
from application.proofs.signing_keys import SigningKeys
from application.reading import Reader
from application.screening.receipts import Receipts
from application.screening.service import Screening
from application.settings import Settings
from application.stores import store_for
from application.stores.startup import one_start
from application.tables import Tables
from application.views.projector import Projector
from application.views.runner import ProjectionRunner
from application.webhooks.subscriptions import Subscriptions

if TYPE_CHECKING:
    from application.stores.postgres_views import PostgresViews
    from application.stores.sqlite_views import SQLiteViews


@dataclass
class Services:
    """Everything a process of the service needs, built once and closed once."""

    settings: Settings
    ledger: Ledger
    positions: LogPositions
    views: SQLiteViews | PostgresViews
    projector: Projector
    runner: ProjectionRunner
    reader: Reader
    tables: Tables
    keys: Keys
    idempotency: IdempotencyStore
    signing_keys: SigningKeys
    proofs: Proofs
    screening: Screening
    subscriptions: Subscriptions
    reads_in_process: bool = False
    """The store answers a short indexed read in process (``Store.reads_in_process``)."""

    @property
    def keeps_views(self) -> bool:
        return self.settings.projections == "inline"

    def start(self) -> None:
        """Make the signing key if the ledger has none yet, and start keeping the views up
        to date, if this process is the one to do it."""
        _ = self.proofs.signer
        if self.keeps_views:
            self.ledger.listeners.append(lambda _receipt: self.runner.nudge())
            self.runner.start()

    def close(self) -> None:
        self.runner.stop()
        self.ledger.close()
        self.views.datastore.close()
        self.tables.close()


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Services:
    with one_start():  # the parts share what creating their tables takes
        return _build(settings or Settings(), clock)


def _build(settings: Settings, clock: Clock) -> Services:
    store = store_for(settings.database_url)
    env = store.persistence_env(settings.database_url, os.environ)
    ledger = Ledger(env=env, clock=clock)
    views = store.views(ledger.factory)
    projector = Projector(ledger, views, settings.projection_batch_size)
    positions = store.log_positions(ledger.recorder)
    reader = Reader(
        ledger,
        views,
        projector,
        positions,
        store.boundaries(ledger.recorder),
        keeps_views=settings.projections == "inline",
        wait_seconds=settings.read_wait_seconds,
    )
    tables = store.tables(ledger.factory)
    idempotency = IdempotencyStore(
        tables,
        now=lambda: ledger.clock().timestamp(),
        ttl=settings.idempotency_ttl_seconds,
        lease=settings.idempotency_lease_seconds,
    )
    signing_keys = SigningKeys(tables, settings.signing_key_file)

    def signer() -> NoteSigner:
        return signing_keys.ensure(settings.log_origin, ledger.clock().isoformat())

    proofs = Proofs(ledger.merkle, store.stored_log(ledger.recorder), positions, signer)
    return Services(
        settings=settings,
        ledger=ledger,
        positions=positions,
        views=views,
        projector=projector,
        runner=ProjectionRunner(projector, settings.projection_poll_seconds),
        reader=reader,
        tables=tables,
        keys=Keys(tables, ledger.clock, settings.key_cache_seconds),
        idempotency=idempotency,
        signing_keys=signing_keys,
        proofs=proofs,
        screening=Screening(reader, proofs, Receipts(tables), now=ledger.clock),
        subscriptions=Subscriptions(tables, ledger.clock),
        reads_in_process=store.reads_in_process,
    )
