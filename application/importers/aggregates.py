"""Reading many aggregates with one query: what an import touches, read ahead.

A publication touches thousands of subjects and reference claims at once (the first copy of
a list registers every entry). Reading them one ``Repository.get`` at a time costs a query
each; here the events of a whole batch of ids come back in one query of the events table
and are folded into their aggregates exactly as the repository folds them. An id with no
events comes back as None: known absent, so nobody asks the store about it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from application.handlers import Ahead
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
    recorder = ledger.recorder
    if isinstance(recorder, SQLiteAggregateRecorder):
        stored = _sqlite_events(recorder, ids)
    elif isinstance(recorder, PostgresAggregateRecorder):
        stored = _postgres_events(recorder, ids)
    else:  # in memory: no query to save
        return {aggregate_id: _get(ledger, aggregate_id) for aggregate_id in ids}
    found: Ahead = dict.fromkeys(ids)
    for aggregate_id, events in groupby(stored, key=lambda event: event.originator_id):
        aggregate: Any = None
        for event in events:
            domain_event: Any = ledger.mapper.to_domain_event(event)
            aggregate = domain_event.mutate(aggregate)
        found[UUID(str(aggregate_id))] = aggregate
    return found


def _sqlite_events(recorder: SQLiteAggregateRecorder, ids: list[UUID]) -> list[StoredEvent]:
    marks = ",".join("?" * len(ids))
    statement = (
        f"SELECT * FROM {recorder.events_table_name} WHERE originator_id IN ({marks}) "
        "ORDER BY originator_id, originator_version"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, [aggregate_id.hex for aggregate_id in ids])
        return [
            StoredEvent(
                originator_id=recorder.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in cursor.fetchall()
        ]


def _postgres_events(recorder: PostgresAggregateRecorder, ids: list[UUID]) -> list[StoredEvent]:
    statement = SQL(
        "SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s) "
        "ORDER BY originator_id, originator_version"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
        cursor.execute(statement, [ids])
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in cursor.fetchall()
        ]


def _get(ledger: Ledger, aggregate_id: UUID) -> BaseAggregate[UUID] | None:
    try:
        aggregate: BaseAggregate[UUID] = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return aggregate
