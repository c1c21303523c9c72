"""The feed of changes: every recorded event in log order, for clients that follow the ledger.

The live stream (``GET /v1/changes/stream``) and the webhook deliveries both read the log
through ``feed_items``: up to ``limit`` events after a position, each a JSON-ready item
(the raw log's decoding, ``application.event_log``, with the event's main facts lifted to the
top), kept or skipped by a ``FeedFilter``. Positions only grow and a write's events are
committed in position order, so a consumer that remembers the last position it scanned and
asks again after it never misses an event and never sees one twice.

What a filter matches. A filter names authorities, programs and measure kinds; an empty set
matches anything, and an event must match every set the filter names. Each subject event is
judged by the facts it concerns, as recorded up to and including it:

- an imposition (designated, visa-banned, investment-restricted): its own authority, kind
  and programs;
- an amendment or a rescission of a measure: that measure's authority and kind, and every
  program the measure was imposed or amended under up to this event;
- a voiding: the facts of the event it voids, as above;
- a registration or a profile amendment: the subject's own. Its authorities are those whose
  references it carries at that point, and those of the measures recorded on it so far
  (voided ones too); its programs and kinds those of those measures. A registration has no
  measure yet, so it matches an authority filter only through the subject's references, and
  never a program or kind filter.

Events of other aggregates (reference claims, import marks, links, any aggregate this
version does not know) carry no measure: they are in the feed only when no filter is set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.utils import TopicError

from application.documents import plain
from application.event_log import aggregate_name_of_topic, logged
from application.ledger import Ledger
from domain.errors import InvalidValue
from domain.subject import Subject
from domain.values import Authority, MeasureKind, MeasureTerms

EFFECTIVE_TIMES = ("effective_from", "effective_until", "effective_at")


@dataclass(frozen=True)
class Scope:
    """The authorities, programs and measure kinds one event concerns."""

    authorities: frozenset[str] = frozenset()
    programs: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()

    def __or__(self, other: Scope) -> Scope:
        return Scope(
            self.authorities | other.authorities,
            self.programs | other.programs,
            self.kinds | other.kinds,
        )


@dataclass(frozen=True)
class FeedFilter:
    """Which events a consumer follows; every set left empty matches everything."""

    authorities: frozenset[str] = frozenset()
    programs: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        authorities: Iterable[str] = (),
        programs: Iterable[str] = (),
        kinds: Iterable[str] = (),
    ) -> FeedFilter:
        """A filter from values as a client sent them, refusing an unknown authority or kind
        (``InvalidValue``, naming the accepted values) and an empty program."""
        return cls(
            frozenset(_accepted(authorities, Authority, "authority")),
            frozenset(_program(program) for program in programs),
            frozenset(_accepted(kinds, MeasureKind, "kind")),
        )

    @property
    def empty(self) -> bool:
        return not (self.authorities or self.programs or self.kinds)

    def describe(self) -> dict[str, list[str]]:
        """The filter as JSON-ready data, for storing and showing it."""
        return {
            "authorities": sorted(self.authorities),
            "programs": sorted(self.programs),
            "kinds": sorted(self.kinds),
        }

    @classmethod
    def described(cls, description: dict[str, list[str]]) -> FeedFilter:
        """The filter ``describe`` gave (missing keys match everything)."""
        return cls.of(
            description.get("authorities", ()),
            description.get("programs", ()),
            description.get("kinds", ()),
        )

    def matches(self, scope: Scope | None) -> bool:
        """Whether an event of this scope passes (``None``: an event with no measure facts,
        which passes only the empty filter)."""
        if self.empty:
            return True
        if scope is None:
            return False
        return all(
            not wanted or bool(wanted & held)
            for wanted, held in (
                (self.authorities, scope.authorities),
                (self.programs, scope.programs),
                (self.kinds, scope.kinds),
            )
        )


def _accepted(
    values: Iterable[str], enum: type[Authority] | type[MeasureKind], what: str
) -> set[str]:
    accepted = {member.value for member in enum}
    chosen = set(values)
    unknown = sorted(chosen - accepted)
    if unknown:
        raise InvalidValue(
            f"unknown {what} {unknown[0]!r}: accepted values are {', '.join(sorted(accepted))}"
        )
    return chosen


def _program(program: str) -> str:
    if not program.strip():
        raise InvalidValue("a program filter must not be empty")
    return program


def last_position(ledger: Ledger) -> int:
    """The position of the log's last event (0 for an empty log)."""
    return ledger.last_position()


def feed_items(
    ledger: Ledger, after: int, limit: int, filter: FeedFilter
) -> tuple[list[dict[str, Any]], int]:
    """The events after position ``after`` that pass ``filter``, in log order, from a scan of
    at most ``limit`` events; and the last position scanned (``after`` when there was none),
    which a consumer continues after even when the filter kept none of them."""
    notifications = ledger.recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    subjects: dict[UUID, Subject] = {}
    items = []
    for notification in notifications:
        item = _item(ledger, notification, filter, subjects)
        if item is not None:
            items.append(item)
    return items, notifications[-1].id if notifications else after


def _item(
    ledger: Ledger,
    notification: Notification,
    filter: FeedFilter,
    subjects: dict[UUID, Subject],
) -> dict[str, Any] | None:
    """One event as a feed item, or ``None`` when the filter skips it."""
    try:
        event: Any = ledger.mapper.to_domain_event(notification)
    except TopicError:  # recorded by a later version of the ledger: shown, never filtered in
        return _unreadable(notification) if filter.empty else None
    if not isinstance(event, Subject.Event):
        return {**logged(notification, event), **_facts(event)} if filter.empty else None
    if not filter.empty and not filter.matches(_scope(ledger, event, subjects)):
        return None
    return {**logged(notification, event), **_facts(event)}


def _unreadable(notification: Notification) -> dict[str, Any]:
    """An event whose type this version cannot decode: its place in the log and its topic."""
    return {
        "position": notification.id,
        "aggregate_id": str(notification.originator_id),
        "version": notification.originator_version,
        "type": notification.topic.rsplit(":", 1)[-1],
        "topic": notification.topic,
        "aggregate": aggregate_name_of_topic(notification.topic),
        "recorded_at": None,
    }


def _facts(event: Any) -> dict[str, Any]:
    """The event's main facts at the top of its item, where it has them."""
    facts: dict[str, Any] = {}
    if isinstance(event, Subject.Event):
        facts["subject_id"] = str(event.originator_id)
    elif isinstance(getattr(event, "subject_id", None), UUID):
        facts["subject_id"] = str(event.subject_id)
    if isinstance(measure := getattr(event, "measure_id", None), str):
        facts["measure_id"] = measure
    if isinstance(event, Subject.MeasureImposed):
        facts["authority"] = plain(event.authority)
        facts["kind"] = event.KIND.value
    if isinstance(terms := getattr(event, "terms", None), MeasureTerms):
        facts["programs"] = list(terms.programs)
    for name in EFFECTIVE_TIMES:
        if hasattr(event, name):
            facts[name] = plain(getattr(event, name))
    return facts


def _scope(ledger: Ledger, event: Subject.Event, subjects: dict[UUID, Subject]) -> Scope:
    """What the event concerns, for the filter; see the module's docstring."""
    if isinstance(event, Subject.MeasureImposed):
        return _imposition_scope(event)
    if isinstance(event, Subject.Registered):
        return Scope(authorities=frozenset(str(r.authority) for r in event.references))
    subject = subjects.get(event.originator_id)
    if subject is None:
        subject = subjects[event.originator_id] = ledger.subject(event.originator_id)
    recorded = subject.events[: event.originator_version]
    concerned = event
    if isinstance(event, Subject.Voided):
        concerned = recorded[event.target_version - 1]
    number = getattr(concerned, "measure_number", None)
    if isinstance(number, int):
        return _measure_scope(recorded, number)
    return _subject_scope(recorded)


def _imposition_scope(event: Subject.MeasureImposed) -> Scope:
    return Scope(
        frozenset({str(event.authority)}),
        frozenset(event.terms.programs),
        frozenset({event.KIND.value}),
    )


def _measure_scope(recorded: Sequence[Subject.Event], number: int) -> Scope:
    """A measure's authority and kind, and every program it had in ``recorded``."""
    scope = Scope()
    for event in recorded:
        if getattr(event, "measure_number", None) == number:
            scope = scope | _measure_facts(event)
    return scope


def _subject_scope(recorded: Sequence[Subject.Event]) -> Scope:
    """The subject's references at the end of ``recorded`` and its measures' facts."""
    scope = Scope()
    references: frozenset[str] = frozenset()
    for event in recorded:
        scope = scope | _measure_facts(event)
        held = getattr(event, "references", None)
        if isinstance(event, (Subject.Registered, Subject.ProfileAmended)) and held is not None:
            references = frozenset(str(reference.authority) for reference in held)
    return scope | Scope(authorities=references)


def _measure_facts(event: Subject.Event) -> Scope:
    """What an imposition or an amendment says of its measure (nothing for other events)."""
    if isinstance(event, Subject.MeasureImposed):
        return _imposition_scope(event)
    if isinstance(event, Subject.MeasureAmended):
        return Scope(programs=frozenset(event.terms.programs))
    return Scope()
