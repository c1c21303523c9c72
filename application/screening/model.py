"""What screening works on: the profiles of the views, the questions asked, the hits found."""

from __future__ import annotations

from dataclasses import dataclass, field

RecordKey = tuple[str, str, int]
"""A profile row's key in the views: (subject id, effective start, recorded start)."""


@dataclass(frozen=True)
class ProfileRecord:
    """One row of the views' profiles: who a subject is over one effective period, as known
    over one recorded period (log positions ``rec_from`` to ``rec_to``)."""

    key: RecordKey
    subject_id: str
    kind: str
    names: tuple[tuple[str, str], ...]
    """(name as recorded, name type), the primary name first."""
    birth_dates: tuple[str, ...]
    countries: tuple[str, ...]
    identifiers: tuple[tuple[str, str], ...]
    """(kind, value) as recorded."""
    eff_from: str
    eff_to: str | None
    rec_from: int
    rec_to: int | None

    def holds_at(self, effective: str, position: int) -> bool:
        """Whether the row is the profile at effective stamp ``effective``, as known at log
        position ``position``."""
        return (
            self.rec_from <= position
            and (self.rec_to is None or position < self.rec_to)
            and self.eff_from <= effective
            and (self.eff_to is None or effective < self.eff_to)
        )


@dataclass(frozen=True)
class Query:
    """One thing to screen: a name, and what else is known of whoever bears it."""

    name: str | None = None
    kind: str | None = None
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A subject a query may be, with the score and the features behind it."""

    subject_id: str
    record_key: RecordKey
    score: float
    matched_name: str | None
    name_type: str | None
    features: dict[str, float] = field(default_factory=dict)
