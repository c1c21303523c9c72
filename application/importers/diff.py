"""A publication compared with the ledger: the commands that record only what changed.

An entry the ledger does not hold is registered and designated; one it holds without a
designation in force is designated again; one whose names, details or programs differ is
amended; a held designation whose entry has vanished from the publication is rescinded.
Everything takes effect when the publication was observed, or from the day its changes were
announced where the import was told (``Publication.announced_on``), unless the list itself
dates a listing (the UN's LISTED_ON). An announcement never backdates a change past what the
ledger already holds: a rescission takes effect no earlier than its measure, a profile or
terms no earlier than those they replace. The publication is read and checked whole before
any entry is compared, and only the differences are kept: a malformed file raises before any
command is returned, so nothing of it is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from application.commands import (
    AmendMeasure,
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    RegisterSubject,
    RescindMeasure,
)
from application.importers.mirror import Holding, Mirror
from application.importers.profiles import kind_of, profile_of, reference_of
from application.importers.publications import Entries, Publication
from application.importers.records import ListEntry
from domain.state import MeasureState
from domain.values import MeasureKind


@dataclass
class Plan:
    commands: list[Command] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    added: int = 0
    amended: int = 0
    rescinded: int = 0
    unchanged: int = 0

    @property
    def counts(self) -> tuple[int, int, int, int]:
        return (self.added, self.amended, self.rescinded, self.unchanged)


def plan_import(publication: Publication, mirror: Mirror) -> Plan:
    plan = Plan()
    entries = publication.entries()
    references = entries.references
    holdings = mirror.holdings
    for index in _maybe_changed(entries, mirror, plan):
        _compare(plan, publication, entries.read(index), holdings.get(references[index]))
    cited = Citation(publication.source, f"absent from {publication.file}")
    absent = mirror.listed - set(references)
    for reference in [reference for reference in holdings if reference in absent] if absent else []:
        measure = holdings[reference].open_measure
        assert measure is not None, "a listed reference has its designation open"
        if measure.effective_from > publication.observed_at:
            # A copy observed before a measure takes effect (one recorded by hand from an
            # announcement, say) says nothing of it: it cannot have listed it yet.
            continue
        rescinded_at = max(publication.effective_at, measure.effective_from)
        plan.commands.append(RescindMeasure(measure.id, rescinded_at, citation=cited))
        plan.rescinded += 1
    return plan


def _maybe_changed(entries: Entries, mirror: Mirror, plan: Plan) -> list[int]:
    """The indexes of the entries to read and compare, in order: all but those the ledger
    holds designated with the fingerprint they had in the publication before (counted
    unchanged in ``plan``, whose fingerprints this publication's become).

    Taken a list at a time: a history of copies passes here for millions of unchanged
    entries."""
    references, fingerprints = entries.references, entries.fingerprints
    if fingerprints is None:
        return list(range(len(references)))
    plan.fingerprints.update(zip(references, fingerprints, strict=True))
    listed, known = mirror.listed, mirror.fingerprints
    maybe = [
        index
        for index, (reference, fingerprint) in enumerate(zip(references, fingerprints, strict=True))
        if reference not in listed or known.get(reference) != fingerprint
    ]
    plan.unchanged += len(references) - len(maybe)
    return maybe


def _compare(
    plan: Plan, publication: Publication, entry: ListEntry, holding: Holding | None
) -> None:
    profile = profile_of(entry)
    effective = publication.effective_at
    if holding is None:
        cited = Citation(publication.source, f"listed in {publication.file}")
        plan.commands.append(
            RegisterSubject(
                kind=kind_of(entry),
                profile=profile,
                references=(reference_of(entry, publication.authority),),
                effective_at=effective,
                citation=cited,
                key=entry.reference,
            )
        )
        plan.commands.append(_designation(publication, entry, entry.reference, None, cited))
        plan.added += 1
        return
    changed = profile != holding.profile
    if changed:
        plan.commands.append(
            AmendProfile(
                holding.subject_id,
                profile,
                effective_at=_profile_from(publication, holding),
                citation=Citation(publication.source, f"details changed in {publication.file}"),
            )
        )
    if holding.open_measure is None:
        cited = Citation(publication.source, f"listed again in {publication.file}")
        plan.commands.append(_designation(publication, entry, holding.subject_id, holding, cited))
        plan.added += 1
        return
    if entry.programs != holding.programs:
        plan.commands.append(
            AmendMeasure(
                holding.open_measure.id,
                effective_at=_terms_from(publication, holding.open_measure),
                programs=entry.programs,
                citation=Citation(publication.source, f"programs changed in {publication.file}"),
            )
        )
        changed = True
    if changed:
        plan.amended += 1
    else:
        plan.unchanged += 1


def _profile_from(publication: Publication, holding: Holding) -> datetime:
    """When a changed profile takes effect: at the publication's effective time, but, for
    an announced change, never before the profile it replaces (which would then hold
    again from its own later start)."""
    if publication.announced_on is None or holding.profile_since is None:
        return publication.effective_at
    return max(publication.effective_at, holding.profile_since)


def _terms_from(publication: Publication, measure: MeasureState) -> datetime:
    """When a measure's changed terms take effect: likewise, for an announced change, never
    before the terms they replace."""
    if publication.announced_on is None:
        return publication.effective_at
    latest = max(change.effective_at for change in measure.terms_history)
    return max(publication.effective_at, latest)


def _designation(
    publication: Publication,
    entry: ListEntry,
    subject: object,
    holding: Holding | None,
    cited: Citation,
) -> ImposeMeasure:
    starts = publication.effective_at
    if publication.dates_listings and entry.listed_on:
        listed = date.fromisoformat(entry.listed_on)
        starts = datetime(listed.year, listed.month, listed.day, tzinfo=UTC)
    if holding is not None and holding.last_end is not None:
        starts = max(starts, holding.last_end)
    return ImposeMeasure(
        subject=subject,  # type: ignore[arg-type]
        kind=MeasureKind.DESIGNATION,
        authority=publication.authority,
        programs=entry.programs,
        effective_from=starts,
        citation=cited,
    )
