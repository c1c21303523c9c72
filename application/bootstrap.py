"""The composition root: the one place where settings become running parts."""

from __future__ import annotations

from dataclasses import dataclass, field

from application.ledger import Clock, Ledger, utc_now
from application.log_positions import LogPositions, log_positions
from application.settings import Settings
from application.storage import persistence_env


@dataclass
class Services:
    """Everything a process of the service needs, built once and closed once."""

    settings: Settings
    ledger: Ledger
    positions: LogPositions = field(init=False)

    def __post_init__(self) -> None:
        self.positions = log_positions(self.ledger.recorder)

    def close(self) -> None:
        self.ledger.close()


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now) -> Services:
    settings = settings or Settings()
    ledger = Ledger(env=persistence_env(settings.database_url), clock=clock)
    return Services(settings=settings, ledger=ledger)
