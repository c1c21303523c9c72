"""Importing list publications: compare each with the ledger and record the differences.

One publication is recorded as one action, all or nothing, together with the mark in the
authority's publication log that it was imported. A publication already imported (by its
content hash) records nothing; one older than the latest imported is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from eventsourcing.application import AggregateNotFoundError

from application.bootstrap import Services
from application.commands import RecordAction, RecordPublication
from application.importers.diff import plan_import
from application.importers.mirror import Mirror
from application.importers.publications import Publication
from domain.publications import PublicationLog
from domain.values import Actor, Authority


@dataclass(frozen=True)
class ImportSummary:
    file: str
    observed_at: datetime
    added: int = 0
    amended: int = 0
    rescinded: int = 0
    unchanged: int = 0
    events: int = 0
    position: int | None = None
    already_imported: bool = False


class Importer:
    """Imports publications in order, keeping each authority's mirror between them."""

    def __init__(self, services: Services, actor: Actor) -> None:
        self.services = services
        self.actor = actor
        self.mirrors: dict[Authority, Mirror] = {}

    def run(self, publication: Publication) -> ImportSummary:
        log = self._publication_log(publication.authority)
        if log is not None and log.has(publication.sha256):
            return ImportSummary(publication.file, publication.observed_at, already_imported=True)
        if log is not None:
            log.check_order(publication.observed_at)
        mirror = self._mirror(publication.authority)
        plan = plan_import(publication, mirror)
        mark = RecordPublication(
            publication.authority,
            publication.file,
            publication.observed_at,
            publication.sha256,
            plan.counts,
        )
        receipt = self.services.ledger.execute(RecordAction((*plan.commands, mark)), self.actor)
        mirror.refresh(receipt.subject_ids)
        mirror.fingerprints = plan.fingerprints
        return ImportSummary(
            publication.file,
            publication.observed_at,
            *plan.counts,
            events=len(receipt.events),
            position=receipt.position,
        )

    def _mirror(self, authority: Authority) -> Mirror:
        if authority not in self.mirrors:
            self.services.projector.catch_up()
            self.mirrors[authority] = Mirror.load(
                self.services.ledger, self.services.views, authority
            )
        return self.mirrors[authority]

    def _publication_log(self, authority: Authority) -> PublicationLog | None:
        try:
            log: object = self.services.ledger.repository.get(PublicationLog.id_for(authority))
        except AggregateNotFoundError:
            return None
        assert isinstance(log, PublicationLog)
        return log
