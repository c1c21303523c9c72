"""A naive reference ledger, written apart from the real one, for tests to compare against.

It keeps every accepted fact in a flat list and answers every question by folding that list
from scratch: slow and obvious, with nothing in common with the domain's code or the views
but the rules of ``domain.md``. It also predicts which error a command should raise, by
folding the facts with the candidate appended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VISA_BAN = "visa_ban"
INVESTMENT = "investment_restriction"


@dataclass(frozen=True)
class Fact:
    subject: str
    version: int
    position: int
    kind: str  # register, profile, impose, amend, rescind, void
    data: dict[str, Any]


class Refused(Exception):
    """The model's verdict on a command: the name of the error the ledger should raise."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass
class NaiveMeasure:
    number: int
    kind: str
    authority: str
    start: datetime
    until: datetime | None
    terms: list[tuple[datetime, int, tuple[str, ...]]]
    rescinded_at: datetime | None = None

    def end(self) -> datetime | None:
        ends = [e for e in (self.until, self.rescinded_at) if e is not None]
        return min(ends) if ends else None

    def programs_ever(self) -> set[str]:
        return {p for _, _, programs in self.terms for p in programs}

    def programs_at(self, at: datetime) -> tuple[str, ...]:
        known = [t for t in self.terms if t[0] <= at]
        pick = max(known, key=lambda t: (t[0], t[1])) if known else min(self.terms)
        return pick[2]

    def in_force(self, at: datetime) -> bool:
        end = self.end()
        return self.start <= at and (end is None or at < end)


@dataclass
class NaiveSubject:
    names: list[tuple[datetime, int, str]] = field(default_factory=list)
    measures: dict[int, NaiveMeasure] = field(default_factory=dict)

    def name_at(self, at: datetime) -> str:
        known = [n for n in self.names if n[0] <= at]
        pick = max(known, key=lambda n: (n[0], n[1])) if known else min(self.names)
        return pick[2]


def _clash(a: NaiveMeasure, b: NaiveMeasure) -> bool:
    if a.number == b.number or a.kind != b.kind or a.authority != b.authority:
        return False
    if not a.programs_ever() & b.programs_ever():
        return False
    a_end, b_end = a.end(), b.end()
    return (a_end is None or b.start < a_end) and (b_end is None or a.start < b_end)


def _apply(subject: NaiveSubject, fact: Fact) -> None:
    """One fact, checked against the rules: raises Refused naming the expected error."""
    d = fact.data
    if fact.kind == "register" or fact.kind == "profile":
        subject.names.append((d["effective_at"], fact.version, d["name"]))
    elif fact.kind == "impose":
        _check_kind_terms(d["kind"], d)
        if d["until"] is not None and d["until"] <= d["start"]:
            raise Refused("InvalidValue")
        new = NaiveMeasure(
            d["number"],
            d["kind"],
            d["authority"],
            d["start"],
            d["until"],
            [(d["start"], fact.version, tuple(sorted(set(d["programs"]))))],
        )
        _refuse_clash(subject, new)
        subject.measures[new.number] = new
    elif fact.kind == "amend":
        old = _measure(subject, d["number"])
        _check_kind_terms(old.kind, d)
        end = old.end()
        if end is not None and d["effective_at"] >= end:
            raise Refused("AmendmentRefused")
        if d["until"] is not None and d["until"] <= old.start:
            raise Refused("InvalidValue")
        at = max(d["effective_at"], old.start)
        new = NaiveMeasure(
            old.number,
            old.kind,
            old.authority,
            old.start,
            d["until"],
            [*old.terms, (at, fact.version, tuple(sorted(set(d["programs"]))))],
            old.rescinded_at,
        )
        _refuse_clash(subject, new)
        subject.measures[new.number] = new
    elif fact.kind == "rescind":
        m = _measure(subject, d["number"])
        if m.rescinded_at is not None or d["effective_at"] < m.start:
            raise Refused("RescissionRefused")
        if m.until is not None and d["effective_at"] >= m.until:
            raise Refused("RescissionRefused")
        m.rescinded_at = d["effective_at"]


def _check_kind_terms(kind: str, d: dict[str, Any]) -> None:
    if d.get("covers_family") and kind != VISA_BAN:
        raise Refused("InvalidValue")
    if d.get("divestment_deadline") is not None and kind != INVESTMENT:
        raise Refused("InvalidValue")


def _measure(subject: NaiveSubject, number: int) -> NaiveMeasure:
    if number not in subject.measures:
        raise Refused("MeasureNotFound")
    return subject.measures[number]


def _refuse_clash(subject: NaiveSubject, new: NaiveMeasure) -> None:
    if any(_clash(new, other) for other in subject.measures.values()):
        raise Refused("MeasureOverlap")


class NaiveLedger:
    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.commits: list[tuple[int, int]] = []

    def add(self, fact: Fact) -> None:
        self.facts.append(fact)

    def commit(self, positions: list[int]) -> None:
        """The positions one write stored together, all or nothing."""
        self.commits.append((min(positions), max(positions)))

    def known_after_whole_writes(self, position: int) -> int:
        """What a read at ``position`` knows: every write that ended by then, none in part."""
        for first, last in self.commits:
            if first <= position < last:
                return first - 1
        return position

    # Folding ---------------------------------------------------------------------------

    def _subject_facts(self, subject: str, known_at: int | None) -> list[Fact]:
        return [
            f
            for f in self.facts
            if f.subject == subject and (known_at is None or f.position <= known_at)
        ]

    @staticmethod
    def _live(facts: list[Fact], extra_voided: int | None = None) -> list[Fact]:
        voided = {f.data["target"] for f in facts if f.kind == "void"}
        if extra_voided is not None:
            voided.add(extra_voided)
        dropped = {f.data["number"] for f in facts if f.kind == "impose" and f.version in voided}
        return [
            f
            for f in facts
            if f.kind != "void"
            and f.version not in voided
            and not (f.kind in ("amend", "rescind") and f.data["number"] in dropped)
        ]

    def fold(self, subject: str, known_at: int | None = None) -> NaiveSubject:
        state = NaiveSubject()
        for fact in self._live(self._subject_facts(subject, known_at)):
            _apply(state, fact)
        return state

    def subjects(self) -> list[str]:
        return list(dict.fromkeys(f.subject for f in self.facts))

    def in_force(
        self, as_of: datetime, known_at: int | None
    ) -> dict[str, tuple[tuple[str, ...], str]]:
        """Each measure in force at ``as_of`` as known at log position ``known_at``:
        its programs and its subject's primary name at that time."""
        answer: dict[str, tuple[tuple[str, ...], str]] = {}
        for subject in self.subjects():
            if not self._subject_facts(subject, known_at):
                continue
            state = self.fold(subject, known_at)
            for m in state.measures.values():
                if m.in_force(as_of):
                    answer[f"{subject}.{m.number}"] = (m.programs_at(as_of), state.name_at(as_of))
        return answer

    # Predicting -------------------------------------------------------------------------

    def predict(self, candidate: Fact) -> str | None:
        """The name of the error the ledger should raise for the candidate, or None."""
        facts = self._subject_facts(candidate.subject, None)
        if candidate.kind == "void":
            return self._predict_void(facts, candidate.data["target"])
        state = NaiveSubject()
        try:
            for fact in [*self._live(facts), candidate]:
                _apply(state, fact)
        except Refused as verdict:
            return verdict.name
        return None

    def _predict_void(self, facts: list[Fact], target: int) -> str | None:
        by_version = {f.version: f for f in facts}
        if target not in by_version:
            return "EventNotFound"
        kind = by_version[target].kind
        live = {f.version for f in self._live(facts)}
        if kind in ("register", "void") or target not in live:
            return "VoidingRefused"
        state = NaiveSubject()
        try:
            for fact in self._live(facts, extra_voided=target):
                _apply(state, fact)
        except Refused:
            return "VoidingRefused"
        return None
