"""Moving a real ledger from SQLite to PostgreSQL with ``ledger export`` and ``ledger replay``.

A SQLite ledger holding the founding example and six dated OFAC copies (some 28,000 events)
is exported by the real command and replayed into an empty PostgreSQL schema. Events keep
their positions, so the move must be invisible: the same Merkle root, and every list read at
any point of the history (as of any time, as known at any position) answering the same. A
file that does not verify, changed by one byte or cut short, must leave its target empty.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.demo.founding_example import load_founding_example
from application.importers.importer import Importer
from application.importers.publications import observed_at_in_name, ofac_sdn
from application.settings import Settings
from domain.values import Actor
from tests.support.keys import bearer, issue
from tests.support.ledgers import log_dump
from tests.support.server import ledger_command
from tests.support.stores import PostgresDatabase

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("export-replay")]

OPERATOR = Actor("operator", "export test operator")
IMPORTER = Actor("importer", "list importer")
NOW = datetime.now(UTC)
"""One "now" for both stores, so that reads as of now ask both the same question."""


@dataclass(frozen=True)
class Point:
    """A moment of the history: the log position a write ended at, and its time."""

    name: str
    position: int
    as_of: datetime


@dataclass(frozen=True)
class Store:
    """A ledger's services and a reader's client on its API."""

    url: str
    services: Services
    reader: TestClient


@dataclass(frozen=True)
class Source:
    """The SQLite ledger, the moments its writes ended at, and its export file."""

    store: Store
    points: list[Point]
    export: Path


@contextmanager
def opened(url: str) -> Iterator[Store]:
    services = bootstrap(Settings(database_url=url, projections="inline"))
    try:
        headers = bearer(issue(services, "reader", "export test reader"))
        with TestClient(create_app(services=services), headers=headers) as reader:
            yield Store(url, services, reader)
    finally:
        services.close()


def import_history(services: Services, copies: list[Path]) -> list[Point]:
    """The founding example and the copies in the order of their days (the copy of 9
    December, the example of the 10th, then the later copies); the moment each write ended at.

    An importer mirrors the list in memory between copies, so the copies after the example
    are read by a new one, which sees the example's subjects."""
    first, *later = copies
    points = [import_copy(Importer(services, IMPORTER), first)]
    founding = load_founding_example(services.ledger, OPERATOR)
    assert founding is not None and founding.position is not None
    points.append(Point("founding example", founding.position, datetime(2021, 12, 10, tzinfo=UTC)))
    importer = Importer(services, IMPORTER)
    points += [import_copy(importer, copy) for copy in later]
    services.projector.catch_up()
    return points


def import_copy(importer: Importer, copy: Path) -> Point:
    observed_at = observed_at_in_name(copy.name)
    summary = importer.run(ofac_sdn(copy, observed_at))
    assert summary.position is not None and summary.events > 0, summary
    return Point(copy.name, summary.position, observed_at)


def succeeded(answer: subprocess.CompletedProcess[str]) -> str:
    """The command's output, which must have exit status 0."""
    output = answer.stdout + answer.stderr
    assert answer.returncode == 0, output
    return output


@pytest.fixture(scope="module")
def source(sdn_copies: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    folder = tmp_path_factory.mktemp("export")
    with opened(f"sqlite:///{folder}/ledger.db") as store:
        points = import_history(store.services, sdn_copies)
        export = folder / "ledger.jsonl"
        output = succeeded(ledger_command("export", str(export), "--database", store.url))
        assert f"Exported {points[-1].position} events to {export}" in output
        yield Source(store, points, export)


@pytest.fixture(scope="module")
def replayed(source: Source, postgres: PostgresDatabase) -> Iterator[Store]:
    """The export replayed into a fresh PostgreSQL schema, trusting only the source's key."""
    url = postgres.new_schema()
    vkey = source.store.services.proofs.signer.vkey
    answer = ledger_command("replay", str(source.export), "--database", url, "--verifier-key", vkey)
    assert f"Replayed {source.points[-1].position} events" in succeeded(answer)
    with opened(url) as store:
        yield store


def measures(reader: TestClient, point: Point, as_of: datetime) -> list[dict[str, Any]]:
    """Every page of GET /v1/measures as of ``as_of``, as known at the point's position,
    each without the cursor to the next."""
    params: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "known_at": f"position:{point.position}",
        "limit": 1000,
    }
    pages: list[dict[str, Any]] = []
    while True:
        answer = reader.get("/v1/measures", params=params)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        cursor = page.pop("next_cursor")
        pages.append(page)
        if cursor is None:
            return pages
        params = {"cursor": cursor, "limit": 1000}


def items(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for page in pages for item in page["items"]]


def tree_size(services: Services) -> int:
    with services.proofs.tree.reading() as statements:
        return services.proofs.tree.size(statements)


def event_lines(export: Path) -> list[str]:
    return export.read_text().splitlines(keepends=True)


def changed_in_state(line: str) -> str:
    """The event line with one byte of its stored state changed: the first letter of the
    event's reason, in upper case, so that the line is still JSON of the same shape."""
    at = line.index('"reason":"', line.index('"state":')) + len('"reason":"')
    assert line[at].islower(), line[at:]
    return line[:at] + line[at].upper() + line[at + 1 :]


def refused_replay(postgres: PostgresDatabase, lines: list[str], path: Path) -> tuple[str, str]:
    """``ledger replay`` of these lines into a fresh schema: its output, and the schema's URL."""
    path.write_text("".join(lines))
    url = postgres.new_schema()
    answer = ledger_command("replay", str(path), "--database", url)
    output = answer.stdout + answer.stderr
    assert answer.returncode == 1, output
    assert "Traceback" not in output
    return output, url


def assert_empty(url: str) -> None:
    services = bootstrap(Settings(database_url=url, projections="inline"))
    try:
        assert log_dump(services.ledger) == []
        assert tree_size(services) == 0
    finally:
        services.close()


def test_the_replayed_ledger_has_the_same_tree(source: Source, replayed: Store) -> None:
    before = source.store.services.proofs.checkpoint().checkpoint
    after = replayed.services.proofs.checkpoint().checkpoint
    assert after.tree_size == before.tree_size == source.points[-1].position
    assert after.root_hash == before.root_hash
    for point in source.points:
        at = source.store.services.proofs.checkpoint(position=point.position).checkpoint
        again = replayed.services.proofs.checkpoint(position=point.position).checkpoint
        assert (again.tree_size, again.root_hash) == (at.tree_size, at.root_hash), point.name


def test_the_replayed_ledger_keeps_every_event_byte_for_byte(
    source: Source, replayed: Store
) -> None:
    assert log_dump(replayed.services.ledger) == log_dump(source.store.services.ledger)


@pytest.mark.parametrize("when", ["at the point", "now"])
def test_every_list_read_answers_the_same_on_both_stores(
    source: Source, replayed: Store, when: str
) -> None:
    for point in source.points:
        as_of = point.as_of if when == "at the point" else NOW
        original = measures(source.store.reader, point, as_of)
        assert original[0]["position"] == point.position, point.name
        assert len(items(original)) > 9000, point.name  # the whole SDN list
        assert measures(replayed.reader, point, as_of) == original, point.name


def test_ledger_verify_passes_on_the_replayed_ledger(source: Source, replayed: Store) -> None:
    output = succeeded(ledger_command("verify", "--database", replayed.url))
    assert f"Verified: {source.points[-1].position} events" in output


def test_a_file_with_one_byte_of_an_event_changed_is_refused_naming_its_line(
    source: Source, postgres: PostgresDatabase, tmp_path: Path
) -> None:
    lines = event_lines(source.export)
    number = len(lines) // 2  # an event line, counted from 1 as the refusal counts
    lines[number - 1] = changed_in_state(lines[number - 1])
    assert json.loads(lines[number - 1])["position"] == number - 1
    output, url = refused_replay(postgres, lines, tmp_path / "changed.jsonl")
    assert f"line {number} (position {number - 1}): the event does not match" in output
    assert_empty(url)


def test_a_file_cut_short_is_refused(
    source: Source, postgres: PostgresDatabase, tmp_path: Path
) -> None:
    lines = event_lines(source.export)[:-1]
    output, url = refused_replay(postgres, lines, tmp_path / "cut.jsonl")
    assert "cut short" in output
    assert_empty(url)
