"""Reading many aggregates with one query: what a write or an import touches, read ahead.

A publication touches thousands of subjects and reference claims at once (the first copy of
a list registers every entry), and a group of concurrent writes a few each
(``application.group_commit``). Reading them one ``Repository.get`` at a time costs a query
each; here the events of a whole batch of ids come back in one query of the events table
and are folded into their aggregates exactly as the repository folds them. An id with no
events comes back as None: known absent, so nobody asks the store about it again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import BaseAggregate

from application.commands import (
    AmendMeasure,
    AmendProfile,
    Command,
    ImposeMeasure,
    RecordAction,
    RegisterSubject,
    RescindMeasure,
)
from application.handlers import Ahead
from domain.ids import parse_measure_id
from domain.reference_claim import ReferenceClaim

if TYPE_CHECKING:
    from application.ledger import Ledger

CHUNK = 500
"""Ids per query: well under SQLite's limit on parameters, and a modest answer each."""


def read_aggregates(ledger: Ledger, ids: Iterable[UUID]) -> Ahead:
    """Every aggregate of ``ids`` as it stands now, or None where there is none."""
    wanted = list(dict.fromkeys(ids))
    found: Ahead = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        found.update(_read_chunk(ledger, chunk))
    return found


def _read_chunk(ledger: Ledger, ids: list[UUID]) -> Ahead:
    stored = ledger.store.events_of(ledger.recorder, ids)
    if stored is None:  # in memory: no query to save
        return {aggregate_id: _get(ledger, aggregate_id) for aggregate_id in ids}
    found: Ahead = dict.fromkeys(ids)
    for aggregate_id, events in groupby(stored, key=lambda event: event.originator_id):
        aggregate: Any = None
        for event in events:
            domain_event: Any = ledger.mapper.to_domain_event(event)
            aggregate = domain_event.mutate(aggregate)
        found[UUID(str(aggregate_id))] = aggregate
    return found


def _get(ledger: Ledger, aggregate_id: UUID) -> BaseAggregate[UUID] | None:
    try:
        aggregate: BaseAggregate[UUID] = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return aggregate


def read_by(commands: Iterable[Command | RecordAction]) -> list[UUID]:
    """What the commands will read that one query can fetch: the stored subjects they
    change."""
    return [changed for item in _items(commands) if (changed := subject_of(item)) is not None]


def claimed_by(commands: Iterable[Command | RecordAction]) -> list[UUID]:
    """The reference claims of the subjects the commands register."""
    return [
        ReferenceClaim.id_for(reference)
        for item in _items(commands)
        if isinstance(item, RegisterSubject)
        for reference in item.references
    ]


def _items(commands: Iterable[Command | RecordAction]) -> Iterator[Command]:
    for command in commands:
        yield from command.items if isinstance(command, RecordAction) else (command,)


def subject_of(command: Command) -> UUID | None:
    """The stored subject a command changes, if it names it by id."""
    if isinstance(command, (AmendMeasure, RescindMeasure)):
        return parse_measure_id(command.measure_id)[0]
    if isinstance(command, (AmendProfile, ImposeMeasure)) and isinstance(command.subject, UUID):
        return command.subject
    return None
