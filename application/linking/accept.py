"""Deciding suggested pairs: one by an operator, or every pair above a score by a rule.

An accepted suggestion becomes a link (``LinkSubjects``) and a refused one a rejection
(``RejectLink``), each carrying the suggestion's evidence: the numbers both sides share, the
two names compared, the birth dates, the score and its features. Either way the pair is
decided, so the suggester never proposes it again.

The automatic mode accepts every pair suggested at or above a score, recording the rule as the
actor (``rule:links-auto@0.95``), so that the history says which links no person looked at and
which threshold made them. Pairs are taken best first; a pair whose two subjects an earlier
acceptance of the same run already joined into one cluster is left alone (it adds nothing and
would read as a decision the rule never weighed). A pair decided meanwhile by someone else is
refused by the ledger and counted, not retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from application.commands import Citation, LinkSubjects, RejectLink
from application.ledger import Ledger
from application.linking.suggest import Suggestion
from domain.errors import LinkRefused
from domain.link import Evidence
from domain.values import Actor, Identifier

RULE = "links-auto"


def rule_actor(threshold: float) -> Actor:
    """The actor an automatic acceptance records: the rule and its threshold."""
    return Actor(
        id=f"rule:{RULE}@{threshold:g}",
        name=f"automatic links: suggestions scored {threshold:g} or more",
    )


def evidence_of(suggestion: Suggestion) -> Evidence:
    """The suggestion's reasons as a decision records them."""
    found = suggestion.decision_evidence()
    return Evidence(
        identifiers=tuple(Identifier(i["kind"], i["value"]) for i in found["identifiers"]),
        names=tuple(found["names"]),
        birth_dates=tuple(found["birth_dates"]),
        score=found["score"],
        notes=found["notes"],
    )


def pair_of(suggestion: Suggestion) -> tuple[UUID, UUID]:
    return (UUID(suggestion.subject_a.subject_id), UUID(suggestion.subject_b.subject_id))


def accept(ledger: Ledger, suggestion: Suggestion, actor: Actor, reason: str) -> list[UUID]:
    """Link the pair; the link ids the ledger answered with."""
    command = LinkSubjects(
        pair_of(suggestion), evidence_of(suggestion), citation=Citation(reason=reason)
    )
    return ledger.execute(command, actor).link_ids


def reject(ledger: Ledger, suggestion: Suggestion, actor: Actor, reason: str) -> list[UUID]:
    """Record that the pair is not one subject; the link ids the ledger answered with."""
    command = RejectLink(
        pair_of(suggestion), evidence_of(suggestion), citation=Citation(reason=reason)
    )
    return ledger.execute(command, actor).link_ids


@dataclass
class AutomaticRun:
    """What an automatic run did."""

    threshold: float
    accepted: list[Suggestion] = field(default_factory=list)
    joined_already: int = 0
    refused: int = 0


def accept_above(
    ledger: Ledger, suggestions: Iterable[Suggestion], threshold: float
) -> AutomaticRun:
    """Link every pair scored at least ``threshold``, best first, as the rule."""
    actor = rule_actor(threshold)
    run = AutomaticRun(threshold)
    joined = _Joined()
    for suggestion in sorted(suggestions, key=Suggestion.order):
        if suggestion.score < threshold:
            break
        left, right = suggestion.subject_a.subject_id, suggestion.subject_b.subject_id
        if joined.same(left, right):
            run.joined_already += 1
            continue
        reason = f"suggestion scored {suggestion.score:g}, at or above the rule's {threshold:g}"
        try:
            accept(ledger, suggestion, actor, reason)
        except LinkRefused:
            run.refused += 1
            continue
        joined.join(left, right)
        run.accepted.append(suggestion)
    return run


class _Joined:
    """The clusters this run made (union-find over subject ids)."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def _root(self, subject: str) -> str:
        parent = self._parent.setdefault(subject, subject)
        while parent != subject:
            grand = self._parent[parent]
            self._parent[subject] = grand
            subject, parent = parent, grand
        return subject

    def same(self, left: str, right: str) -> bool:
        return self._root(left) == self._root(right)

    def join(self, left: str, right: str) -> None:
        self._parent[self._root(left)] = self._root(right)
