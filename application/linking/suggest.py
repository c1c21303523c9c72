"""Suggested links: pairs of subjects of different authorities that look like one subject.

At one read point (``as_of``, ``known_at``: the profiles and decisions the ledger held then),
every subject of side A is screened by its names against the subjects of side B
(``application.linking.candidates``), and each pair found is weighed
(``application.linking.evidence``). Pairs already decided (linked, unlinked or rejected, at any
effective time, as known at the point) and pairs already in one cluster are left out: an
operator's decision is never asked for twice. The answer is ordered best first (then by the
two subject ids), so an operator reviews the likeliest pairs first.

Weighing all pairs of two whole lists takes tens of seconds (the README's Performance table), so
the scored pairs of the last few read points asked are kept in memory: the pages of one
answer, whose cursor pins its read point, are then read from there. A suggestion is a question
put to the ledger, not a fact of it, and records nothing; accepting or rejecting one is a link
decision (``application.linking`` commands), recorded like any other write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from application.linking.candidates import Candidates, Side, profiles_at
from application.linking.clusters import clusters_at, decided_pairs
from application.linking.evidence import THRESHOLD, Evidence, LinkProfile, NameMatch, weigh
from application.read_points import ReadPoint, encode_cursor
from application.reading import Reader
from application.screening.source import IndexedViews
from application.views.rows import stamp
from application.views.store import ViewStore
from domain.errors import InvalidValue, SubjectNotFound

Pair = frozenset[str]
Decided = Callable[[ViewStore, ReadPoint], set[Pair]]
"""The pairs decided as known at a read point (``application.linking.clusters.decided_pairs``)."""
Clusters = Callable[[ViewStore, ReadPoint], dict[str, str]]
"""Every linked subject's cluster at a read point (``application.linking.clusters.clusters_at``)."""

MAX_BIRTH_DATES = 20
"""Birth dates a decision's evidence carries, at most (as ``POST /v1/links`` takes them)."""
KEPT_ANSWERS = 4
"""Scored answers kept in memory, the most recently asked."""


@dataclass(frozen=True)
class SuggestionRequest:
    """Which pairs to suggest: side A listed by ``authority_a``, side B by ``authority_b``
    (any authority but the other side's when None), scored at least ``min_score``."""

    authority_a: str | None = None
    authority_b: str | None = None
    min_score: float = THRESHOLD
    hide_identifiers: bool = False
    """Weigh the pairs without their passport and national ID numbers (the evaluation's
    blind run: how far names, birth dates and nationalities alone go)."""

    def __post_init__(self) -> None:
        if self.authority_a is not None and self.authority_a == self.authority_b:
            raise InvalidValue(
                f"authority_a and authority_b are both {self.authority_a}: a link joins "
                "subjects of different authorities"
            )


@dataclass(frozen=True)
class Suggestion:
    """Two subjects that may be one, and why."""

    subject_a: LinkProfile
    subject_b: LinkProfile
    evidence: Evidence

    @property
    def score(self) -> float:
        return self.evidence.score

    @property
    def pair(self) -> Pair:
        return frozenset((self.subject_a.subject_id, self.subject_b.subject_id))

    def order(self) -> tuple[float, str, str]:
        """Best first, then by the two ids."""
        return (-self.score, self.subject_a.subject_id, self.subject_b.subject_id)

    def document(self) -> dict[str, Any]:
        return {
            "subject_ids": [self.subject_a.subject_id, self.subject_b.subject_id],
            "subject_a": _subject_document(self.subject_a),
            "subject_b": _subject_document(self.subject_b),
            **self.evidence.document(),
            "evidence": self.decision_evidence(),
        }

    def decision_evidence(self) -> dict[str, Any]:
        """The reasons as a decision records them (``POST /v1/links`` takes this as its
        ``evidence``): the numbers both sides give, the two names compared, both sides' birth
        dates, the score, and the features in words."""
        found = self.evidence
        kinds = {
            number: kind
            for kind, numbers in self.subject_a.strong_numbers().items()
            for number in numbers
        }
        features = ", ".join(f"{name} {value:g}" for name, value in sorted(found.features.items()))
        dates = dict.fromkeys((*self.subject_a.birth_dates, *self.subject_b.birth_dates))
        return {
            "identifiers": [
                {"kind": kinds.get(number, "identifier"), "value": number}
                for number in found.shared_identifiers
            ],
            "names": list(found.names or ()),
            "birth_dates": list(dates)[:MAX_BIRTH_DATES],
            "score": found.score,
            "notes": f"suggested link; features: {features}",
        }


def _subject_document(profile: LinkProfile) -> dict[str, Any]:
    return {
        "subject_id": profile.subject_id,
        "kind": profile.kind,
        "primary_name": profile.primary_name,
        "authorities": list(profile.authorities),
    }


class Suggester:
    """Suggested links at any read point, kept for the pages that follow."""

    def __init__(
        self,
        reader: Reader,
        indexed: IndexedViews,
        decided: Decided = decided_pairs,
        clusters: Clusters = clusters_at,
    ) -> None:
        self.reader = reader
        self.indexed = indexed
        self.decided = decided
        self.clusters = clusters
        self._answers: OrderedDict[tuple[Any, ...], list[Suggestion]] = OrderedDict()
        self._gates: dict[tuple[Any, ...], threading.Lock] = {}
        """One lock per answer being weighed or kept."""
        self._lock = threading.Lock()

    def scored(self, point: ReadPoint, request: SuggestionRequest) -> list[Suggestion]:
        """Every candidate pair at the point, weighed, undecided and in no one cluster, best
        first, whatever its score.

        Requests asking the same at once wait for the first to weigh it, rather than each
        spending the same seconds."""
        key = (
            point.position,
            stamp(point.as_of),
            request.authority_a,
            request.authority_b,
            request.hide_identifiers,
        )
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                kept = self._answers.get(key)
                if kept is not None:
                    self._answers.move_to_end(key)
                    return kept
            found = self._undecided(point, self.weighed(point, request))
            with self._lock:
                self._answers[key] = found
                while len(self._answers) > KEPT_ANSWERS:
                    forgotten, _ = self._answers.popitem(last=False)
                    self._gates.pop(forgotten, None)
        return found

    def suggestions(self, point: ReadPoint, request: SuggestionRequest) -> list[Suggestion]:
        """The pairs scored at least the request's ``min_score``, best first."""
        return [s for s in self.scored(point, request) if s.score >= request.min_score]

    def page(
        self, point: ReadPoint, request: SuggestionRequest, after: str | None, limit: int
    ) -> dict[str, Any]:
        """A page of ``suggestions``: up to ``limit`` after the cursor's ``after``, with the
        cursor of the next page and the read point."""
        found = self.suggestions(point, request)
        start = 0
        if after is not None:
            last = _position_of(after)
            start = next((i for i, s in enumerate(found) if s.order() > last), len(found))
        items = found[start : start + limit]
        more = start + limit < len(found)
        return {
            "items": [suggestion.document() for suggestion in items],
            "next_cursor": encode_cursor(_key_of(items[-1]), point) if more else None,
            "min_score": request.min_score,
            **point.describe(),
        }

    def pair(self, point: ReadPoint, first: str, second: str) -> Suggestion:
        """Two given subjects weighed at the point, as a suggestion would show them: the
        reasons a decision about them records."""
        profiles = profiles_at(self.reader.views, stamp(point.as_of), point.position)
        missing = [s for s in (first, second) if s not in profiles]
        if missing:
            raise SubjectNotFound(
                f"no subject {missing[0]} listed by an authority at position {point.position}"
            )
        left, right = profiles[first], profiles[second]
        return Suggestion(left, right, weigh(left, right))

    def weighed(self, point: ReadPoint, request: SuggestionRequest) -> list[Suggestion]:
        """Every candidate pair at the point, weighed, best first (decisions not applied).

        The subjects of the smaller side are the ones screened against the other: the pairs
        are the same either way (the candidate search sees a pair from both ends), and 1,093 UN
        entries screen eight times faster than 9,052 OFAC ones."""
        effective = stamp(point.as_of)
        profiles = profiles_at(self.reader.views, effective, point.position)
        index = self.indexed.reflecting(point.position)
        candidates = Candidates(index, profiles, effective, point.position)
        ordered = request.authority_a is not None or request.authority_b is not None
        queried, other = Side(request.authority_a), Side(request.authority_b)
        flipped = ordered and _size(other, profiles) < _size(queried, profiles)
        if flipped:
            queried, other = other, queried
        pairs: dict[tuple[str, str], Suggestion] = {}
        for subject in sorted(profiles.values(), key=lambda p: p.subject_id):
            if not queried.holds(subject):
                continue
            found = candidates.of(subject, other, hide_identifiers=request.hide_identifiers)
            for other_id, names in found.items():
                left, right = subject, profiles[other_id]
                if flipped or (not ordered and right.subject_id < left.subject_id):
                    left, right = right, left
                    names = None if names is None else (*names[:2], names[3], names[2])
                key = (left.subject_id, right.subject_id)
                if key not in pairs:
                    pairs[key] = _suggestion(left, right, names, request.hide_identifiers)
        return sorted(pairs.values(), key=Suggestion.order)

    def _undecided(self, point: ReadPoint, found: list[Suggestion]) -> list[Suggestion]:
        decided = self.decided(self.reader.views, point)
        clusters = self.clusters(self.reader.views, point)

        def open_question(suggestion: Suggestion) -> bool:
            if suggestion.pair in decided:
                return False
            cluster = clusters.get(suggestion.subject_a.subject_id)
            return cluster is None or cluster != clusters.get(suggestion.subject_b.subject_id)

        return [suggestion for suggestion in found if open_question(suggestion)]


def _size(side: Side, profiles: dict[str, LinkProfile]) -> int:
    return sum(side.holds(profile) for profile in profiles.values())


def _suggestion(
    left: LinkProfile, right: LinkProfile, names: NameMatch | None, hide_identifiers: bool
) -> Suggestion:
    if hide_identifiers:
        return Suggestion(left, right, weigh(left.hidden(), right.hidden(), names))
    return Suggestion(left, right, weigh(left, right, names))


def _key_of(suggestion: Suggestion) -> str:
    """Where a page ended, as its cursor carries it: the score and the two ids."""
    left, right = suggestion.subject_a.subject_id, suggestion.subject_b.subject_id
    return f"{suggestion.score:.4f} {left} {right}"


def _position_of(after: str) -> tuple[float, str, str]:
    """The order of the suggestion a cursor ended at (``_key_of``)."""
    try:
        score, left, right = after.split(" ")
        return (-float(score), left, right)
    except ValueError:
        raise InvalidValue("the cursor is not one this API gave out") from None
