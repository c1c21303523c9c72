"""Which pairs of subjects are worth weighing: found by name through screening's index.

Weighing every subject of one authority against every subject of another is quadratic (1,093
UN entries against 9,052 OFAC ones is ten million pairs). Screening already keeps an index of
every name of every profile of the views, blocked by token and phonetic keys, that answers for
any point in both times; so each name of a subject is screened against it, seeing only the
subjects of the other side (other authorities, compatible kind, holding at the read point), and
the subjects it finds are the candidates. A subject's passport and national ID numbers are
screened too, unless hidden: the index finds the records holding one of them whatever their
names, so a pair that shares a number is a candidate even under two unrelated names.

A subject's authorities are those of its references (``US-OFAC:7867``): the authorities that
list it under their own id. Two subjects sharing an authority are never a pair: an authority
does not list one person twice, and when it does, that is its own list's business.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from application.linking.evidence import (
    PERSON,
    STRONG_KINDS,
    LinkProfile,
    NameMatch,
    compatible,
)
from application.screening.index import NamesIndex
from application.screening.model import Hit, ProfileRecord, Query
from application.screening.normalize import name_tokens
from application.views.conditions import valid
from application.views.store import ViewStore

PROFILES = "SELECT subject_id, kind, document FROM profile_segments WHERE {valid}"

HITS_PER_NAME = 5
"""Subjects kept per name screened: a subject's namesakes beyond the fifth are rarely it."""
NAME_FLOOR = 0.6
"""The lowest name-only screening score that makes a candidate: the evidence may raise a
pair well above it (same birth date, nationality), never from far below."""


def profile_of(row: Any) -> LinkProfile:
    """A profile row of the views as the suggester compares it."""
    document = json.loads(row["document"])
    profile = document["profile"]
    authorities = sorted({str(ref["authority"]) for ref in document.get("references", ())})
    return LinkProfile(
        subject_id=row["subject_id"],
        kind=row["kind"],
        authorities=tuple(authorities),
        names=tuple((name["value"], name["type"]) for name in profile.get("names", ())),
        birth_dates=tuple(profile.get("birth_dates", ())),
        nationalities=tuple(profile.get("nationalities", ())),
        identifiers=tuple(
            (identifier["kind"], identifier["value"])
            for identifier in profile.get("identifiers", ())
        ),
    )


def profiles_at(views: ViewStore, effective: str, position: int) -> dict[str, LinkProfile]:
    """Every subject's profile at the read point, by subject id (subjects of no authority
    left out: nothing says whose list they are on)."""
    condition, params = valid("profile_segments", effective, position)
    with views.transaction(commit=False, snapshot=True) as cursor:
        cursor.execute(PROFILES.format(valid=condition), params)
        rows = cursor.fetchall()
    profiles = (profile_of(row) for row in rows)
    return {profile.subject_id: profile for profile in profiles if profile.authorities}


@dataclass(frozen=True)
class Side:
    """The subjects one side of the pairs is taken from: those listed by ``authority`` (any
    authority when None)."""

    authority: str | None

    def holds(self, profile: LinkProfile) -> bool:
        return self.authority is None or self.authority in profile.authorities


def may_pair(left: LinkProfile, right: LinkProfile) -> bool:
    """Whether two subjects may be suggested as one: different subjects of no common
    authority, of compatible kinds."""
    return (
        left.subject_id != right.subject_id
        and not set(left.authorities) & set(right.authorities)
        and compatible(left.kind, right.kind)
    )


class Candidates:
    """The candidates of each subject, from the names index at one read point."""

    def __init__(
        self,
        index: NamesIndex,
        profiles: dict[str, LinkProfile],
        effective: str,
        position: int,
    ) -> None:
        self.index = index
        self.profiles = profiles
        self.effective = effective
        self.position = position

    def of(
        self, subject: LinkProfile, other: Side, *, hide_identifiers: bool
    ) -> dict[str, NameMatch | None]:
        """The ids of the subjects of ``other`` that ``subject`` may be, found by its names
        (and its passport and national ID numbers unless hidden), in the order found; each
        with the most alike pair of names the search compared (None: found by number only).
        """
        visible = self._visible(subject, other)
        found: dict[str, NameMatch | None] = {}
        for query in _queries(subject, hide_identifiers):
            threshold = 0.0 if query.name is None else NAME_FLOOR
            for hit in self.index.screen(query, visible, HITS_PER_NAME, threshold):
                match = _name_match(query, hit)
                held = found.get(hit.subject_id)
                if hit.subject_id not in found or (
                    match is not None and (held is None or match[:2] > held[:2])
                ):
                    found[hit.subject_id] = match
        return found

    def _visible(self, subject: LinkProfile, other: Side) -> Callable[[ProfileRecord], bool]:
        profiles, effective, position = self.profiles, self.effective, self.position

        def visible(record: ProfileRecord) -> bool:
            candidate = profiles.get(record.subject_id)
            return (
                candidate is not None
                and record.holds_at(effective, position)
                and other.holds(candidate)
                and may_pair(subject, candidate)
            )

        return visible


def _name_match(query: Query, hit: Hit) -> NameMatch | None:
    """The name features the index scored a hit by, with the two names compared."""
    similarity = hit.features.get("name_similarity")
    overlap = hit.features.get("token_overlap")
    if query.name is None or hit.matched_name is None or similarity is None or overlap is None:
        return None
    return (similarity, overlap, query.name, hit.matched_name)


def _queries(subject: LinkProfile, hide_identifiers: bool) -> Iterable[Query]:
    """One query per distinct name (as folded: spellings that fold alike find the same);
    one for the strong numbers unless they are hidden."""
    # A person's names are read as a person's (honorifics dropped) and only persons seen; the
    # other kinds see each other, their names stripped of legal forms and vessel prefixes.
    kind = PERSON if subject.kind == PERSON else None
    seen: set[tuple[str, ...]] = set()
    for name, _ in subject.names:
        folded = tuple(sorted(name_tokens(name, kind)))
        if folded and folded not in seen:
            seen.add(folded)
            yield Query(name=name, kind=kind)
    numbers = tuple(value for kind, value in subject.identifiers if kind in STRONG_KINDS)
    if numbers and not hide_identifiers:
        yield Query(identifiers=numbers)
