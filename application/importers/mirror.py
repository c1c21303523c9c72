"""What the ledger holds for one authority's list, kept in memory while publications import.

For every reference of the authority (an OFAC ``ent_num``, a UN ``QDi.414``): the subject it
identifies, that subject's latest profile, and the authority's designation of it still open,
if any. Built once from the views and the subjects they name, then refreshed from the
ledger for the subjects each import touched, so that a long history imports without reading
the whole ledger again for every publication. Subjects are read many to a query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ledger import Ledger
from application.read_ahead import read_aggregates
from application.views.conditions import contains_prefix
from application.views.store import ViewStore
from domain.errors import SubjectNotFound
from domain.state import MeasureState
from domain.subject import Subject
from domain.values import Authority, MeasureKind, Profile, SubjectKind


@dataclass(frozen=True)
class Holding:
    subject_id: UUID
    kind: SubjectKind
    profile: Profile
    open_measure: MeasureState | None
    last_end: datetime | None
    """When the authority's latest designation of the subject ended, if it did."""
    profile_since: datetime | None = None
    """When the latest profile took effect."""

    @property
    def programs(self) -> tuple[str, ...] | None:
        return None if self.open_measure is None else self.open_measure.terms.programs


class Mirror:
    def __init__(self, ledger: Ledger, authority: Authority) -> None:
        self.ledger = ledger
        self.authority = authority
        self.holdings: dict[str, Holding] = {}
        self.fingerprints: dict[str, str] = {}
        """Each reference's entry fingerprint in the last publication imported by this run."""
        self.listed: set[str] = set()
        """The references whose holding has the authority's designation open."""

    @classmethod
    def load(cls, ledger: Ledger, views: ViewStore, authority: Authority) -> Mirror:
        """The authority's holdings as the (caught up) views and the subjects tell them."""
        mirror = cls(ledger, authority)
        with views.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT DISTINCT subject_id FROM profile_segments "
                "WHERE rec_to IS NULL AND refs LIKE ? ESCAPE '!'",
                (contains_prefix(f"{authority}:"),),
            )
            subject_ids = [UUID(row["subject_id"]) for row in cursor.fetchall()]
        mirror.refresh(subject_ids)
        return mirror

    def refresh(self, subject_ids: Iterable[UUID], current: Mapping[UUID, Subject] = {}) -> None:
        """Hold these subjects as they are now: those given as ``current`` as they are, the
        others read again from the ledger (a few hundred to a query)."""
        subject_ids = list(subject_ids)
        for subject_id in subject_ids:
            if subject_id in current:
                self._hold(current[subject_id])
        missing = [subject_id for subject_id in subject_ids if subject_id not in current]
        for subject_id, subject in read_aggregates(self.ledger, missing).items():
            if not isinstance(subject, Subject):
                raise SubjectNotFound(f"no subject has the id {subject_id}")
            self._hold(subject)

    def _hold(self, subject: Subject) -> None:
        state = subject.state
        designations = [
            m
            for m in state.measures.values()
            if str(m.authority) == self.authority and str(m.kind) == MeasureKind.DESIGNATION
        ]
        open_ones = [m for m in designations if m.end is None]
        ends = [m.end for m in designations if m.end is not None]
        latest_profile = max(state.profile_history, key=lambda c: (c.effective_at, c.version))
        holding = Holding(
            subject_id=subject.id,
            kind=SubjectKind(state.kind),
            profile=latest_profile.value,
            open_measure=max(open_ones, key=lambda m: m.number) if open_ones else None,
            last_end=max(ends) if ends else None,
            profile_since=latest_profile.effective_at,
        )
        for reference in state.references:
            if str(reference.authority) == self.authority:
                self.holdings[reference.id] = holding
                if holding.open_measure is None:
                    self.listed.discard(reference.id)
                else:
                    self.listed.add(reference.id)
