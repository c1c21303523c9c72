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
from application.commands import (
    Command,
    RecordAction,
    RecordPublication,
    RegisterSubject,
)
from application.handlers import Ahead, read_ahead
from application.importers.diff import plan_import
from application.importers.mirror import Mirror
from application.importers.publications import Publication
from application.read_ahead import read_aggregates, subject_of
from domain.publications import PublicationLog
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject
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
        self.logs: dict[Authority, PublicationLog] = {}
        """Each authority's publication log as this run last saved it."""

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
        ahead = self._read_ahead(plan.commands, publication.authority, log)
        self.logs.pop(publication.authority, None)
        with read_ahead(ahead):
            receipt = self.services.ledger.execute(RecordAction((*plan.commands, mark)), self.actor)
        left = receipt.aggregates
        mirror.refresh(
            receipt.subject_ids, {i: s for i, s in left.items() if isinstance(s, Subject)}
        )
        saved_log = left.get(PublicationLog.id_for(publication.authority))
        if isinstance(saved_log, PublicationLog):
            self.logs[publication.authority] = saved_log
        mirror.fingerprints = plan.fingerprints
        return ImportSummary(
            publication.file,
            publication.observed_at,
            *plan.counts,
            events=len(receipt.events),
            position=receipt.position,
        )

    def _read_ahead(
        self, commands: list[Command], authority: Authority, log: PublicationLog | None
    ) -> Ahead:
        """Every aggregate the action will read, read many to a query: the subjects it
        changes, the reference claims of the subjects it registers or renames, and the
        authority's publication log (just read)."""
        ledger = self.services.ledger
        subjects = read_aggregates(ledger, filter(None, map(subject_of, commands)))
        references = [r for c in commands if isinstance(c, RegisterSubject) for r in c.references]
        for subject in subjects.values():
            if isinstance(subject, Subject):
                references.extend(subject.state.references)
        claims = read_aggregates(ledger, map(ReferenceClaim.id_for, references))
        return {**subjects, **claims, PublicationLog.id_for(authority): log}

    def _mirror(self, authority: Authority) -> Mirror:
        if authority not in self.mirrors:
            self.services.projector.catch_up()
            self.mirrors[authority] = Mirror.load(
                self.services.ledger, self.services.views, authority
            )
        return self.mirrors[authority]

    def _publication_log(self, authority: Authority) -> PublicationLog | None:
        kept = self.logs.get(authority)
        if kept is not None and not self.services.ledger.recorder.select_events(
            kept.id, gt=kept.version, limit=1
        ):
            return kept  # nobody recorded a publication since: no need to read it all again
        try:
            log: object = self.services.ledger.repository.get(PublicationLog.id_for(authority))
        except AggregateNotFoundError:
            return None
        assert isinstance(log, PublicationLog)
        return log
