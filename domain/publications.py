"""The publications of one authority's list that the ledger has imported, in order.

Importing a list publication turns its differences from the ledger's state into events.
This log says which publications were imported and when they were observed, so that the
same publication is never imported twice and an older one is never imported after a newer
one (which would undo history). One stream per authority: two imports of the same list at
once collide on its version, and only one of them is recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import AggregateCreated, AggregateEvent, BaseAggregate

from domain.errors import RuleViolation
from domain.ids import NameBasedIds
from domain.values import Authority

PUBLICATIONS_NAMESPACE = UUID("0b6c3c52-31a5-4c0d-8d8f-5c1f0e3f5a21")
_publication_ids = NameBasedIds(PUBLICATIONS_NAMESPACE)


class PublicationRefused(RuleViolation):
    """A publication older than one already imported."""


class PublicationLog(BaseAggregate[UUID]):
    TOPIC = "sanctions-ledger:publication-log"

    if TYPE_CHECKING:  # set by the events; not dataclass fields of the aggregate
        authority: Authority
        imported: dict[str, datetime]
        latest: datetime | None

    class Event(AggregateEvent):
        pass

    class Started(Event, AggregateCreated):
        TOPIC = "sanctions-ledger:publication-log:started"
        authority: Authority

        def apply(self, aggregate: PublicationLog) -> None:
            aggregate.authority = Authority(self.authority)
            aggregate.imported = {}
            aggregate.latest = None

    class Imported(Event):
        """One publication was compared with the ledger and its differences recorded."""

        TOPIC = "sanctions-ledger:publication-log:imported"
        file: str
        observed_at: datetime
        sha256: str
        added: int
        amended: int
        rescinded: int
        unchanged: int

        def apply(self, aggregate: PublicationLog) -> None:
            aggregate.imported[self.sha256] = self.observed_at
            aggregate.latest = max(filter(None, (aggregate.latest, self.observed_at)))

    @staticmethod
    def id_for(authority: Authority) -> UUID:
        return _publication_ids(str(authority))

    @classmethod
    def start(cls, authority: Authority, at: datetime) -> PublicationLog:
        return cls._create(cls.Started, id=cls.id_for(authority), timestamp=at, authority=authority)

    def has(self, sha256: str) -> bool:
        return sha256 in self.imported

    def check_order(self, observed_at: datetime) -> None:
        if self.latest is not None and observed_at < self.latest:
            raise PublicationRefused(
                f"a publication of {self.authority} observed at {self.latest.isoformat()} is "
                f"already imported; one observed earlier ({observed_at.isoformat()}) cannot "
                "follow it"
            )

    def record(
        self,
        *,
        file: str,
        observed_at: datetime,
        sha256: str,
        counts: tuple[int, int, int, int],
        at: datetime,
    ) -> None:
        self.check_order(observed_at)
        added, amended, rescinded, unchanged = counts
        self.trigger_event(
            self.Imported,
            timestamp=at,
            file=file,
            observed_at=observed_at,
            sha256=sha256,
            added=added,
            amended=amended,
            rescinded=rescinded,
            unchanged=unchanged,
        )
