"""Which subject an authority's reference identifies.

An import keys subjects by the authorities' own identifiers (OFAC ``ent_num``, UN
``QDi.414``), so a reference must identify one subject only, even when two writers register
at once. Each reference gets a claim aggregate whose id is derived from the reference; it is
saved in the same transaction as the subject that claims it, so two subjects claiming one
reference collide on the claim's first version and only one of them is stored.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import AggregateCreated, AggregateEvent, BaseAggregate

from domain.ids import NameBasedIds
from domain.values import Reference

CLAIMS_NAMESPACE = UUID("8f1c1f8e-6a55-4c0e-9d55-5b2a3c1e7a10")
_claim_ids = NameBasedIds(CLAIMS_NAMESPACE)


class ReferenceClaim(BaseAggregate[UUID]):
    TOPIC = "sanctions-ledger:reference-claim"

    if TYPE_CHECKING:  # set by the events; not dataclass fields of the aggregate
        reference: Reference
        subject_id: UUID

    class Event(AggregateEvent):
        subject_id: UUID

    class Claimed(Event, AggregateCreated):
        TOPIC = "sanctions-ledger:reference-claim:claimed"
        reference: Reference

        def apply(self, aggregate: ReferenceClaim) -> None:
            aggregate.reference = self.reference
            aggregate.subject_id = self.subject_id

    class Reassigned(Event):
        """The reference's former subject no longer claims it; another one does now."""

        TOPIC = "sanctions-ledger:reference-claim:reassigned"

        def apply(self, aggregate: ReferenceClaim) -> None:
            aggregate.subject_id = self.subject_id

    @staticmethod
    def id_for(reference: Reference) -> UUID:
        return _claim_id(reference)

    @classmethod
    def claim(cls, reference: Reference, subject_id: UUID, at: datetime) -> ReferenceClaim:
        return cls._create(
            cls.Claimed,
            id=cls.id_for(reference),
            timestamp=at,
            reference=reference,
            subject_id=subject_id,
        )

    def reassign(self, subject_id: UUID, at: datetime) -> None:
        self.trigger_event(self.Reassigned, timestamp=at, subject_id=subject_id)


@functools.lru_cache(maxsize=16_384)
def _claim_id(reference: Reference) -> UUID:
    """A name-based UUID costs a SHA-1 and a UUID built in Python; a write asks for the same
    one several times (reading ahead, checking the claim, making it)."""
    return _claim_ids(str(reference))
