"""How strongly two subjects of different authorities look like one: a score with its reasons.

A suggestion is reviewed by an operator, as a screening hit is, so every part of its score is
reported: each feature's value (0..1, present only where both sides could be compared) and how
much it moved the score (its contribution). The name features are screening's own
(``application.screening.scoring.name_features``), taken over the best pair of one name of each
subject; the birth dates are compared as screening compares them. What a link adds:

- ``nationality``: 1 when the two share a nationality, 0 when both give some and none is shared
  (addresses do not count: an organization's office says little about who a person is).
- ``kind``: 0 when the kinds differ (an organization and a vessel); persons are never paired
  with anything else, so the feature appears only between organizations, vessels and aircraft.
- ``identifier``: the passport and national ID numbers of both sides, compared after reduction
  to upper-case letters and digits (``identifier_key``: "No. 12-345" equals "NO12345"). 1 when
  a number appears on both sides (whatever kind each side filed it under: lists disagree on
  whether a number is a passport's), 0 when both sides give a number of the same kind and none
  is shared. Other identifiers (tax, registry numbers) are left out: a company has many, and a
  difference says nothing.

They combine as screening's features do, from the name score ``0.9 * name_similarity + 0.1 *
token_overlap``: a value above 0.5 closes the gap to 1 by ``weight * (2v - 1)`` of it, a value
below 0.5 takes ``weight * (1 - 2v)`` of the score away. The weights (``WEIGHTS``) make a number
shared by both sides close 95% of the gap (strong evidence: "same passport, different spelling"
stays above any threshold), and a conflicting number take 60% of the score away (strong
counter-evidence: a perfect name and birth date with another passport number falls well below
the threshold). A date of birth is the next strongest: two subjects with the same name and
different years of birth are usually namesakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from application.screening.normalize import country_key, identifier_key, name_tokens
from application.screening.scoring import (
    NAME_WEIGHT_OVERLAP,
    NAME_WEIGHT_SIMILARITY,
    compare_birth_dates,
    name_features,
)

STRONG_KINDS = frozenset({"passport", "national_id"})
"""The identifier kinds whose numbers identify a person: equal is the same, differing is not."""

WEIGHTS = {"identifier": (0.95, 0.6), "birth_date": (0.35, 0.35), "nationality": (0.2, 0.2)}
"""Per feature: (weight of agreement, weight of conflict)."""
KIND_CONFLICT = 0.5
"""The share of the score taken away when the two subjects are of different kinds."""

THRESHOLD = 0.85
"""The score from which a pair is suggested unless the request says otherwise. Measured by
``bench/linking_eval.py`` on the UN list of 2018-10-29 against the OFAC list of 2022-01-31 (143
pairs sharing a passport or national ID number): at every threshold from 0.7 to 0.95 no
suggestion pairs two subjects whose numbers conflict; with the numbers hidden, 99.3% of the 143
score 0.8 or more, 97.2% 0.85, 95.8% 0.9 and 94.4% 0.95, while the suggestions above the line
number 1,127 at 0.8, 903 at 0.85 and 772 at 0.9. 0.85 keeps the true pairs found by names and
dates alone above 97% with a fifth fewer pairs to review than 0.8."""

PERSON = "person"


@dataclass(frozen=True)
class LinkProfile:
    """One subject as the suggester compares it, at one read point."""

    subject_id: str
    kind: str
    authorities: tuple[str, ...]
    names: tuple[tuple[str, str], ...]
    """(name as recorded, name type), the primary name first."""
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    """(kind, value) as recorded."""

    @property
    def primary_name(self) -> str:
        return self.names[0][0] if self.names else ""

    def hidden(self) -> LinkProfile:
        """The same subject without its identifiers: what the evaluation shows the scorer."""
        return LinkProfile(
            self.subject_id,
            self.kind,
            self.authorities,
            self.names,
            self.birth_dates,
            self.nationalities,
        )

    def strong_numbers(self) -> dict[str, set[str]]:
        """The passport and national ID numbers, reduced, by kind."""
        numbers: dict[str, set[str]] = {}
        for kind, value in self.identifiers:
            key = identifier_key(value)
            if kind in STRONG_KINDS and key:
                numbers.setdefault(kind, set()).add(key)
        return numbers


@dataclass(frozen=True)
class Evidence:
    """Why two subjects may be one: the score, each feature, each feature's contribution."""

    score: float
    features: dict[str, float]
    contributions: dict[str, float]
    names: tuple[str, str] | None = None
    """The pair of names (one of each side) that the name features compared."""
    shared_identifiers: tuple[str, ...] = ()
    conflicting_identifiers: tuple[str, ...] = field(default=())
    """The kinds both sides give numbers of, none of them shared."""

    def document(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "features": dict(sorted(self.features.items())),
            "contributions": dict(sorted(self.contributions.items())),
            "matched_names": list(self.names) if self.names else None,
            "shared_identifiers": list(self.shared_identifiers),
            "conflicting_identifiers": list(self.conflicting_identifiers),
        }


def compatible(left: str, right: str) -> bool:
    """Whether subjects of these kinds may be one: a person only with a person."""
    return (left == PERSON) == (right == PERSON)


NameMatch = tuple[float, float, str, str]
"""The name similarity and token overlap of a pair of names, and the two names."""


def best_names(left: LinkProfile, right: LinkProfile) -> NameMatch | None:
    """The name similarity and token overlap of the most alike pair of names, with the pair."""
    best: NameMatch | None = None
    for name_a, _ in left.names:
        tokens_a = name_tokens(name_a, left.kind)
        if not tokens_a:
            continue
        for name_b, _ in right.names:
            tokens_b = name_tokens(name_b, right.kind)
            if not tokens_b:
                continue
            similarity, overlap = name_features(tokens_a, tokens_b)
            if best is None or (similarity, overlap) > best[:2]:
                best = (similarity, overlap, name_a, name_b)
    return best


def compare_nationalities(left: LinkProfile, right: LinkProfile) -> float | None:
    if not left.nationalities or not right.nationalities:
        return None
    right_keys = {country_key(country) for country in right.nationalities}
    return 1.0 if any(country_key(c) in right_keys for c in left.nationalities) else 0.0


def compare_numbers(
    left: LinkProfile, right: LinkProfile
) -> tuple[float | None, tuple[str, ...], tuple[str, ...]]:
    """The identifier feature, the numbers shared and the kinds in conflict."""
    mine, theirs = left.strong_numbers(), right.strong_numbers()
    if not mine or not theirs:
        return None, (), ()
    shared = set().union(*mine.values()) & set().union(*theirs.values())
    if shared:
        return 1.0, tuple(sorted(shared)), ()
    conflicts = tuple(sorted(kind for kind in mine if kind in theirs))
    return (0.0 if conflicts else None), (), conflicts


def _moved(total: float, value: float, weights: tuple[float, float]) -> float:
    """The score after one feature: towards 1 by agreement, towards 0 by conflict."""
    agree, conflict = weights
    if value >= 0.5:
        return total + agree * (2.0 * value - 1.0) * (1.0 - total)
    return total - conflict * (1.0 - 2.0 * value) * total


def weigh(left: LinkProfile, right: LinkProfile, names: NameMatch | None = None) -> Evidence:
    """How strongly the two subjects look like one (see the module docstring).

    ``names`` is the most alike pair of names when the caller knows it already (the
    candidate search compares them as it goes); else every pair is compared."""
    features: dict[str, float] = {}
    contributions: dict[str, float] = {}
    names = names or best_names(left, right)
    total = 0.0
    if names is not None:
        similarity, overlap, _, _ = names
        features.update(name_similarity=similarity, token_overlap=overlap)
        total = NAME_WEIGHT_SIMILARITY * similarity + NAME_WEIGHT_OVERLAP * overlap
        contributions["name"] = round(total, 4)
    identifier, shared, conflicts = compare_numbers(left, right)
    others = {
        "birth_date": compare_birth_dates(left.birth_dates, right.birth_dates),
        "nationality": compare_nationalities(left, right),
        "identifier": identifier,
    }
    for feature, value in others.items():
        if value is None:
            continue
        features[feature] = value
        moved = _moved(total, value, WEIGHTS[feature])
        contributions[feature] = round(moved - total, 4)
        total = moved
    if left.kind != right.kind:
        features["kind"] = 0.0
        contributions["kind"] = round(-KIND_CONFLICT * total, 4)
        total -= KIND_CONFLICT * total
    return Evidence(
        score=round(min(1.0, max(0.0, total)), 4),
        features={key: round(value, 4) for key, value in features.items()},
        contributions=contributions,
        names=None if names is None else (names[2], names[3]),
        shared_identifiers=shared,
        conflicting_identifiers=conflicts,
    )
