"""How each command changes the aggregates it touches.

A ``Unit`` gathers the aggregates one command or one whole action touches, so that they are
saved together in one transaction: an action is recorded all or nothing, and a subject named
twice in one action is loaded once and changed in order.

A caller about to run many commands may read their aggregates ahead, many in one query
(``read_ahead``); the unit then takes those instead of reading each from the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import singledispatch
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import BaseAggregate

from application.commands import (
    AmendMeasure,
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    LinkSubjects,
    RecordPublication,
    RegisterSubject,
    RejectLink,
    RescindMeasure,
    SubjectRef,
    UnlinkSubjects,
    VoidEvent,
)
from application.errors import PreconditionFailed
from domain.errors import InvalidValue, LinkNotFound, ReferenceTaken, SubjectNotFound
from domain.ids import parse_event_id, parse_measure_id
from domain.link import LINKED, REJECTED, UNLINKED, Evidence, Link
from domain.provenance import Provenance
from domain.publications import PublicationLog
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject
from domain.values import Actor, Authority, MeasureTerms, Reference

Ahead = dict[UUID, BaseAggregate[UUID] | None]
_AHEAD: ContextVar[Ahead | None] = ContextVar("read_ahead", default=None)


@contextmanager
def read_ahead(aggregates: Mapping[UUID, BaseAggregate[UUID] | None]) -> Iterator[None]:
    """Let the units run in this context take these aggregates (None: known to be absent)
    instead of reading each from the store.

    Each is taken at most once: a command checked again after another writer reached the
    same stream reads the store afresh. One read ahead that has gone stale costs only that
    retry, since its save meets the other writer on the stream's version number.
    """
    token = _AHEAD.set(dict(aggregates))
    try:
        yield
    finally:
        _AHEAD.reset(token)


class Unit:
    """The aggregates one command or action changes, and who changes them when."""

    def __init__(self, repository: Repository[UUID], actor: Actor, recorded_at: datetime) -> None:
        self.repository = repository
        self.actor = actor
        self.recorded_at = recorded_at
        self.subjects: dict[UUID, Subject] = {}
        self.claims: dict[UUID, ReferenceClaim] = {}
        self.publication_logs: dict[UUID, PublicationLog] = {}
        self.links: dict[UUID, Link] = {}
        self.keys: dict[str, UUID] = {}

    def provenance(self, citation: Citation) -> Provenance:
        return Provenance(self.actor, self.recorded_at, citation.source, citation.reason)

    def subject(self, ref: SubjectRef, expected_version: int | None = None) -> Subject:
        subject_id = self._resolve(ref)
        if subject_id not in self.subjects:
            self.subjects[subject_id] = self._subject(subject_id)
        subject = self.subjects[subject_id]
        if expected_version is not None and subject.version != expected_version:
            raise PreconditionFailed(
                f"subject {subject_id} is at version {subject.version}, "
                f"not {expected_version} as the request expected; read it again"
            )
        return subject

    def add(self, subject: Subject, key: str | None) -> None:
        if key is not None:
            if key in self.keys:
                raise InvalidValue(f"two items of the action use the key {key!r}")
            self.keys[key] = subject.id
        self.subjects[subject.id] = subject

    def claim(self, subject: Subject, references: tuple[Reference, ...]) -> None:
        """Make each reference identify this subject, refusing one another subject holds."""
        for reference in references:
            claim_id = ReferenceClaim.id_for(reference)
            claim = self.claims.get(claim_id) or self._stored_claim(claim_id)
            if claim is None:
                self.claims[claim_id] = ReferenceClaim.claim(
                    reference, subject.id, self.recorded_at
                )
            elif claim.subject_id != subject.id:
                self._take_over(claim, reference, subject)

    def aggregates(self) -> list[BaseAggregate[UUID]]:
        return [
            *self.subjects.values(),
            *self.claims.values(),
            *self.publication_logs.values(),
            *self.links.values(),
        ]

    def publication_log(self, authority: Authority) -> PublicationLog:
        log_id = PublicationLog.id_for(authority)
        if log_id not in self.publication_logs:
            try:
                stored: object = self._read(log_id)
            except AggregateNotFoundError:
                stored = PublicationLog.start(authority, self.recorded_at)
            assert isinstance(stored, PublicationLog)
            self.publication_logs[log_id] = stored
        return self.publication_logs[log_id]

    def link(self, link_id: UUID) -> Link | None:
        """The pair's link aggregate, or None if no decision about the pair was recorded."""
        if link_id not in self.links:
            try:
                stored: object = self._read(link_id)
            except AggregateNotFoundError:
                return None
            if not isinstance(stored, Link):
                return None
            self.links[link_id] = stored
        return self.links[link_id]

    def _take_over(self, claim: ReferenceClaim, reference: Reference, subject: Subject) -> None:
        holder = self.subjects.get(claim.subject_id) or self._subject(claim.subject_id)
        if reference in holder.state.references:
            raise ReferenceTaken(
                f"reference {reference} already identifies subject {holder.id}",
                str(holder.id),
            )
        claim.reassign(subject.id, self.recorded_at)
        self.claims[claim.id] = claim

    def _stored_claim(self, claim_id: UUID) -> ReferenceClaim | None:
        try:
            claim: object = self._read(claim_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, ReferenceClaim)
        return claim

    def _read(self, aggregate_id: UUID) -> object:
        """The aggregate as read ahead, if it was, or from the store."""
        ahead = _AHEAD.get()
        if ahead is not None and aggregate_id in ahead:
            aggregate = ahead.pop(aggregate_id)
            if aggregate is None:
                raise AggregateNotFoundError(aggregate_id)
            return aggregate
        return self.repository.get(aggregate_id)

    def _subject(self, subject_id: UUID) -> Subject:
        try:
            return _as_subject(self._read(subject_id), subject_id)
        except AggregateNotFoundError:
            raise SubjectNotFound(f"no subject has the id {subject_id}") from None

    def _resolve(self, ref: SubjectRef) -> UUID:
        if isinstance(ref, UUID):
            return ref
        if ref in self.keys:
            return self.keys[ref]
        try:
            return UUID(ref)
        except ValueError:
            raise InvalidValue(
                f"{ref!r} is neither a subject id nor the key of an earlier item of the action"
            ) from None


def load_subject(
    repository: Repository[UUID], subject_id: UUID, version: int | None = None
) -> Subject:
    try:
        return _as_subject(repository.get(subject_id, version=version), subject_id)
    except AggregateNotFoundError:
        raise SubjectNotFound(f"no subject has the id {subject_id}") from None


def _as_subject(aggregate: object, subject_id: UUID) -> Subject:
    """The aggregate, if it is a subject: an id naming another kind of aggregate (a
    reference claim, a publication log) names no subject."""
    if not isinstance(aggregate, Subject):
        raise SubjectNotFound(f"no subject has the id {subject_id}")
    return aggregate


@singledispatch
def handle(command: Command, unit: Unit) -> None:  # noqa: ARG001 - each command registers its own
    raise TypeError(f"no handler for {type(command).__name__}")


@handle.register
def _register(command: RegisterSubject, unit: Unit) -> None:
    provenance = unit.provenance(command.citation)
    subject = Subject.register(
        kind=command.kind,
        profile=command.profile,
        references=command.references,
        effective_at=command.effective_at or unit.recorded_at,
        provenance=provenance,
        confirm_unusual_dates=command.citation.confirm_unusual_dates,
        subject_id=command.subject_id,
    )
    unit.add(subject, command.key)
    unit.claim(subject, subject.state.references)


@handle.register
def _amend_profile(command: AmendProfile, unit: Unit) -> None:
    subject = unit.subject(command.subject, command.expected_version)
    subject.amend_profile(
        profile=command.profile,
        references=command.references,
        effective_at=command.effective_at or unit.recorded_at,
        provenance=unit.provenance(command.citation),
        confirm_unusual_dates=command.citation.confirm_unusual_dates,
    )
    unit.claim(subject, subject.state.references)


@handle.register
def _impose(command: ImposeMeasure, unit: Unit) -> None:
    subject = unit.subject(command.subject, command.expected_version)
    terms = MeasureTerms(
        programs=command.programs,
        legal_basis=command.legal_basis,
        covers_family=command.covers_family,
        divestment_deadline=command.divestment_deadline,
        details=command.details,
    )
    subject.impose(
        kind=command.kind,
        authority=command.authority,
        terms=terms,
        effective_from=command.effective_from,
        effective_until=command.effective_until,
        provenance=unit.provenance(command.citation),
        confirm_unusual_dates=command.citation.confirm_unusual_dates,
    )


@handle.register
def _amend_measure(command: AmendMeasure, unit: Unit) -> None:
    subject_id, number = parse_measure_id(command.measure_id)
    subject = unit.subject(subject_id, command.expected_version)
    measure = subject.state.measure(number)
    effective_at = command.effective_at or unit.recorded_at
    terms = _changed_terms(measure.terms_at(effective_at), command)
    until = (
        None
        if command.clear_effective_until
        else command.effective_until or measure.effective_until
    )
    subject.amend_measure(
        number=number,
        terms=terms,
        effective_until=until,
        effective_at=effective_at,
        provenance=unit.provenance(command.citation),
        confirm_unusual_dates=command.citation.confirm_unusual_dates,
    )


def _changed_terms(terms: MeasureTerms, command: AmendMeasure) -> MeasureTerms:
    """The terms with the fields the command gives replaced, the others kept."""
    changed = MeasureTerms(
        programs=terms.programs if command.programs is None else command.programs,
        legal_basis=command.legal_basis or terms.legal_basis,
        covers_family=(
            terms.covers_family if command.covers_family is None else command.covers_family
        ),
        divestment_deadline=command.divestment_deadline or terms.divestment_deadline,
        details=command.details or terms.details,
    )
    unchanged_end = command.effective_until is None and not command.clear_effective_until
    if changed == terms and unchanged_end:
        raise InvalidValue("an amendment must change something")
    return changed


@handle.register
def _rescind(command: RescindMeasure, unit: Unit) -> None:
    subject_id, number = parse_measure_id(command.measure_id)
    subject = unit.subject(subject_id, command.expected_version)
    subject.rescind(
        number=number,
        effective_at=command.effective_at,
        provenance=unit.provenance(command.citation),
        confirm_unusual_dates=command.citation.confirm_unusual_dates,
    )


@handle.register
def _record_publication(command: RecordPublication, unit: Unit) -> None:
    unit.publication_log(command.authority).record(
        file=command.file,
        observed_at=command.observed_at,
        sha256=command.sha256,
        counts=command.counts,
        at=unit.recorded_at,
    )


@handle.register
def _void(command: VoidEvent, unit: Unit) -> None:
    subject_id, version = parse_event_id(command.event_id)
    subject = unit.subject(subject_id, command.expected_version)
    subject.void(version=version, provenance=unit.provenance(command.citation))


def _decide(
    unit: Unit,
    status: str,
    pair: tuple[UUID, UUID],
    evidence: Evidence,
    effective_at: datetime | None,
    citation: Citation,
) -> None:
    """Record a decision about a pair of subjects that both exist; neither is changed."""
    for subject_id in pair:
        unit.subject(subject_id)
    provenance = unit.provenance(citation)
    moment = effective_at or unit.recorded_at
    confirmed = citation.confirm_unusual_dates
    link = unit.link(Link.id_for(*pair))
    if link is None:
        link = Link.first(
            status, pair, evidence, moment, provenance, confirm_unusual_dates=confirmed
        )
        unit.links[link.id] = link
    else:
        link.decide(status, evidence, moment, provenance, confirm_unusual_dates=confirmed)


@handle.register
def _link(command: LinkSubjects, unit: Unit) -> None:
    _decide(
        unit,
        LINKED,
        command.subject_ids,
        command.evidence,
        command.effective_from,
        command.citation,
    )


@handle.register
def _unlink(command: UnlinkSubjects, unit: Unit) -> None:
    link = unit.link(command.link_id)
    if link is None:
        raise LinkNotFound(f"no link has the id {command.link_id}")
    _decide(unit, UNLINKED, link.subject_ids, Evidence(), command.effective_at, command.citation)


@handle.register
def _reject(command: RejectLink, unit: Unit) -> None:
    _decide(
        unit,
        REJECTED,
        command.subject_ids,
        command.evidence,
        command.effective_at,
        command.citation,
    )
