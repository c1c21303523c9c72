"""Records deleted, inserted, duplicated, swapped or retimed in the database behind the
ledger's back: ``verify`` reports each at its position."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.conftest import FILE_STORES
from tests.support.events_table import Record, Table, Tampered, problem_positions
from tests.support.tamper_ledger import build

pytestmark = pytest.mark.usefixtures("every_problem_listed")


def retimed(record: Record) -> Record:
    """The record with its recorded time one microsecond later, in the same format."""
    text = record.state.decode()
    found = re.search(r'"timestamp":\{"_type_":"datetime_iso","_data_":"[^"]*\.(\d{6})', text)
    assert found is not None
    micros = f"{(int(found.group(1)) + 1) % 1_000_000:06d}"
    text = text[: found.start(1)] + micros + text[found.end(1) :]
    return replace(record, state=text.encode())


def test_records_deleted_inserted_swapped_and_retimed_are_reported(tampered: Tampered) -> None:
    table, original = tampered.table, tampered.original
    assert tampered.verify().ok
    p, q = original[100], original[300]

    table.replace([p], [])
    assert tampered.verify().first_bad_position == p.position
    tampered.restore()

    last = original[-1]
    copy = replace(p, position=last.position + 1, version=p.version + 1000)
    table.replace([], [copy])
    report = tampered.verify()
    assert report.first_bad_position == copy.position
    assert problem_positions(report) == {copy.position}
    tampered.restore()

    table.renumber_after(p.position - 1, 1)
    table.replace([], [replace(q, position=p.position, version=q.version + 1000)])
    assert tampered.verify().first_bad_position == p.position
    tampered.restore()

    swapped_p = replace(q, position=p.position)
    swapped_q = replace(p, position=q.position)
    table.replace([p, q], [swapped_p, swapped_q])
    assert problem_positions(tampered.verify()) == {p.position, q.position}
    tampered.restore()

    table.update([retimed(q)])
    assert problem_positions(tampered.verify()) == {q.position}
    tampered.restore()


@pytest.mark.parametrize("store_kind", FILE_STORES)
def test_a_record_duplicated_is_reported(database_url: str) -> None:
    """On a ledger of its own: the primary key the duplicate needs gone is not put back."""
    services = build(database_url)
    try:
        table = Table(services)
        original = table.records()
        record = original[41]
        table.drop_primary_key()
        assert services.proofs.verify().ok
        table.renumber_after(record.position, 1)
        table.replace([], [replace(record, position=record.position + 1)])
        report = services.proofs.verify()
        assert report.first_bad_position == record.position + 1
        end = original[-1].position + 1
        table.replace([], [replace(original[7], position=end + 1)])
        assert end + 1 in problem_positions(services.proofs.verify())
    finally:
        services.close()
