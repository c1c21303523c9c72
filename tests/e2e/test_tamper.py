"""Whoever writes to the database behind the ledger's back is caught by ``verify``.

A ledger of 502 events of every kind the ledger writes (registrations with and without an
authority's reference, the reference claims they make and one claim passed to another
subject, designations, visa bans, investment restrictions, amendments of profiles and of
measures, rescissions, voidings, a publication log) is tampered with directly in its
database, bypassing the application, and each change must be reported at the position of
the record it touched.

Every single byte of every stored record is flipped (XOR 0x01), none left out: every byte of
the id (32 hex characters on SQLite, the 16 bytes of a PostgreSQL ``uuid``), of the version
and of the position (8 bytes each), of the topic and of the state. Flips come in rounds: one
transaction puts back the previous round's flips and flips byte ``k`` of one column in every
record long enough to have one, the whole log is verified once, and every flipped record
must be reported at its position, and nothing else (but the place a flip of its position
moved it to). A column needs as many rounds as its longest value has bytes, each a full
check of the log (15 to 20 ms), so the events are kept small (a one-letter source, short
names, one program): the longest state has 804 bytes (at most ``LONGEST_STATE``), and its
804 rounds flip all 311,754 bytes of the states; ids, versions, topics and positions take 78
rounds more (35,000 bytes) on PostgreSQL and 94 on SQLite (43,000 bytes). Flips that keep
the JSON equal are checked too: an upper-case hex digit in a SQLite id (a PostgreSQL
``uuid`` has no case to flip; 31 rounds, 6,000 digits), and rewrites of a state as an escape
the ledger never writes.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.bootstrap import Services, bootstrap
from application.commands import (
    AmendMeasure,
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    RecordAction,
    RecordPublication,
    RegisterSubject,
    RescindMeasure,
    VoidEvent,
)
from application.proofs import verification
from application.proofs.verification import Report
from application.settings import Settings
from domain.ids import event_id, measure_id
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Reference,
    Source,
    SubjectKind,
)
from tests.conftest import FILE_STORES, store_url
from tests.support.server import ledger_command

OPERATOR = Actor("k1", "operator")
SOURCE = Source(Authority.UK, "T")
DAY = datetime(2021, 12, 10, tzinfo=UTC)
NAMESPACE = uuid.UUID("7a3f1c52-0d4e-4b8a-9c61-5e2b7d0f1a93")
SUBJECTS = 192
"""Each registered with one measure, a quarter with a reference: with the changes that
follow, just over 500 events."""
KINDS = (MeasureKind.DESIGNATION, MeasureKind.VISA_BAN, MeasureKind.INVESTMENT_RESTRICTION)
LONGEST_STATE = 820
"""A bound on the longest state: the number of rounds that flip the states' bytes."""


# --- the ledger -------------------------------------------------------------------------------


def subject_id(i: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, str(i))


def name(i: int) -> str:
    """Short names; some with a two-byte and a four-byte character, for the flips that
    break a character in two and for the rewrites as escapes."""
    return f"Zoë {i} 𠜎" if i % 7 == 0 else f"N{i}"


def founding(count: int) -> RecordAction:
    """``count`` subjects, each with one measure, of the three kinds in turn."""
    items: list[Command] = []
    for i in range(count):
        references = (Reference(Authority.UK, str(i)),) if i % 4 == 0 else ()
        profile = Profile(names=(Name(name(i)),))
        items.append(
            RegisterSubject(SubjectKind.PERSON, profile, references, subject_id=subject_id(i))
        )
        items.append(measure(i, KINDS[i % 3]))
    return RecordAction(tuple(items), Citation(source=SOURCE))


def measure(i: int, kind: MeasureKind) -> ImposeMeasure:
    return ImposeMeasure(
        subject=subject_id(i),
        kind=kind,
        authority=Authority.UK,
        programs=("P",),
        effective_from=DAY,
        covers_family=kind == MeasureKind.VISA_BAN and i % 2 == 0,
        divestment_deadline=DAY + timedelta(days=365)
        if kind == MeasureKind.INVESTMENT_RESTRICTION
        else None,
    )


def changes() -> RecordAction:
    """What follows the founding: profiles and measures amended, measures rescinded,
    impositions voided, a reference passed from subject 0 to subject 1, a publication."""
    items: list[Command] = [
        AmendProfile(subject_id(i), Profile(names=(Name(f"M{i}"),))) for i in range(2, 22)
    ]
    items += [AmendMeasure(measure_id(subject_id(i), 1), programs=("Q",)) for i in range(22, 42)]
    rescinded = DAY + timedelta(days=30)
    items += [RescindMeasure(measure_id(subject_id(i), 1), rescinded) for i in range(42, 57)]
    voided = Citation(reason="x")
    items += [VoidEvent(event_id(subject_id(i), 2), voided) for i in range(57, 67)]
    items += [
        AmendProfile(subject_id(0), Profile(names=(Name(name(0)),)), references=()),
        AmendProfile(subject_id(1), Profile(names=(Name("N1"),)), (Reference(Authority.UK, "0"),)),
        RecordPublication(Authority.UK, "f", DAY, hashlib.sha256(b"f").hexdigest(), (0, 0, 0, 0)),
    ]
    return RecordAction(tuple(items), Citation(source=SOURCE))


def build(url: str) -> Services:
    services = bootstrap(Settings(database_url=url))
    services.ledger.execute(founding(SUBJECTS), OPERATOR)
    services.ledger.execute(changes(), OPERATOR)
    return services


EVERY_TOPIC = {
    f"sanctions-ledger:{topic}"
    for topic in (
        "subject:registered",
        "subject:designated",
        "subject:visa-banned",
        "subject:investment-restricted",
        "subject:profile-amended",
        "subject:measure-amended",
        "subject:rescinded",
        "subject:voided",
        "reference-claim:claimed",
        "reference-claim:reassigned",
        "publication-log:started",
        "publication-log:imported",
    )
}


@dataclass(frozen=True)
class Record:
    """One row of the events' table, its values as the database holds them."""

    position: int
    originator_id: Any
    version: int
    topic: str
    state: bytes


class Table:
    """The events' table, reached straight through SQL."""

    def __init__(self, services: Services) -> None:
        recorder: Any = services.ledger.recorder
        self.tables = services.ledger.merkle.tables
        self.kind = services.ledger.store.name
        self.name = str(recorder.events_table_name)
        self.position = "rowid"
        if self.kind == "postgres":
            self.name = f'"{recorder.datastore.schema}".{recorder.events_table_name}'
            self.position = "notification_id"

    def records(self) -> list[Record]:
        with self.tables.transaction(commit=False) as statements:
            statements.execute(
                f"SELECT {self.position} AS position, originator_id, originator_version, "
                f"topic, state FROM {self.name} ORDER BY {self.position}"
            )
            rows = statements.fetchall()
        return [
            Record(
                int(row["position"]),
                row["originator_id"],
                int(row["originator_version"]),
                str(row["topic"]),
                bytes(row["state"]),
            )
            for row in rows
        ]

    def update(self, records: Sequence[Record]) -> None:
        """Write the records' topics and states over those at their positions."""
        with self.tables.transaction(commit=True) as statements:
            statements.executemany(
                f"UPDATE {self.name} SET topic = ?, state = ? WHERE {self.position} = ?",
                [(record.topic, record.state, record.position) for record in records],
            )

    def replace(self, old: Sequence[Record], new: Sequence[Record]) -> None:
        """Take the rows ``old`` out and put ``new`` in, in one transaction: any column of a
        row may change, its position too, and no constraint sees a half-done change."""
        with self.tables.transaction(commit=True) as statements:
            statements.executemany(
                f"DELETE FROM {self.name} WHERE {self.position} = ?",
                [(record.position,) for record in old],
            )
            statements.executemany(
                f"INSERT INTO {self.name} ({self.position}, originator_id, originator_version, "
                "topic, state) VALUES (?, ?, ?, ?, ?)",
                [(r.position, r.originator_id, r.version, r.topic, r.state) for r in new],
            )

    def rewrite(self, old: Sequence[Record], new: Sequence[Record]) -> None:
        """``replace``, or where every row keeps its position, id and version, the cheaper
        update of topics and states in place."""
        keys = [(r.position, r.originator_id, r.version) for r in old]
        if keys == [(r.position, r.originator_id, r.version) for r in new]:
            self.update(new)
        else:
            self.replace(old, new)

    def renumber_after(self, position: int, by: int) -> None:
        """Move every record after ``position`` by ``by`` places, as an insertion would."""
        with self.tables.transaction(commit=True) as statements:
            statements.execute(
                f"UPDATE {self.name} SET {self.position} = -({self.position} + ?) "
                f"WHERE {self.position} > ?",
                [by, position],
            )
            statements.execute(
                f"UPDATE {self.name} SET {self.position} = -{self.position} "
                f"WHERE {self.position} < 0"
            )

    def drop_primary_key(self) -> None:
        """Let a stream hold one version twice, as an intruder who owns the database can."""
        with self.tables.transaction(commit=True) as statements:
            if self.kind == "postgres":
                bare = self.name.rsplit(".", 1)[1]
                statements.execute(f"ALTER TABLE {self.name} DROP CONSTRAINT {bare}_pkey")
                return
            columns = "originator_id, originator_version, topic, state"
            statements.execute(f"ALTER TABLE {self.name} RENAME TO tampered_events")
            statements.execute(
                f"CREATE TABLE {self.name} (originator_id TEXT, originator_version INTEGER, "
                "topic TEXT, state BLOB)"
            )
            statements.execute(
                f"INSERT INTO {self.name} (rowid, {columns}) "
                f"SELECT rowid, {columns} FROM tampered_events"
            )
            statements.execute("DROP TABLE tampered_events")


@dataclass
class Tampered:
    services: Services
    table: Table
    original: list[Record]

    def verify(self) -> Report:
        return self.services.proofs.verify()

    def restore(self) -> None:
        self.table.replace(self.table.records(), self.original)
        assert self.table.records() == self.original
        assert self.verify().ok


@pytest.fixture(scope="module", params=FILE_STORES)
def tampered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Tampered]:
    """A ledger per store for the module; each test puts back what it changed."""
    services = build(store_url(request.param, request, tmp_path_factory.mktemp("tamper")))
    try:
        table = Table(services)
        original = table.records()
        yield Tampered(services, table, original)
    finally:
        services.close()


@pytest.fixture(autouse=True)
def every_problem_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verification, "MAX_LISTED", 10**6)


def test_the_ledger_holds_500_small_events_of_every_kind(tampered: Tampered) -> None:
    original = tampered.original
    assert len(original) >= 500
    assert {record.topic for record in original} == EVERY_TOPIC
    longest = max(len(record.state) for record in original)
    print(f"\n{tampered.table.kind}: {len(original)} events, the longest state {longest} bytes")
    assert longest <= LONGEST_STATE
    assert tampered.verify().ok


# --- flipping -------------------------------------------------------------------------------


def flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    return data[:at] + bytes([data[at] ^ mask]) + data[at + 1 :]


def flip_int(value: int, at: int) -> int:
    """The integer with bit 0 of its ``at``-th byte (of eight, little end first) flipped."""
    return value ^ (1 << (8 * at))


Flip = Callable[[Record, int], Record | None]
"""Byte ``k`` of a record flipped one way, or ``None`` where the record has no such byte."""


def id_bytes(kind: str, record: Record) -> bytes:
    """The id's bytes as the store holds them: a ``uuid``'s 16, or the text's."""
    if kind == "postgres":
        raw: bytes = record.originator_id.bytes
        return raw
    text: str = record.originator_id
    return text.encode()


def flip_id(kind: str) -> Flip:
    def flipped(record: Record, k: int) -> Record | None:
        raw = id_bytes(kind, record)
        if k >= len(raw):
            return None
        if kind == "postgres":
            return replace(record, originator_id=uuid.UUID(bytes=flip(raw, k)))
        return replace(record, originator_id=flip(raw, k).decode())

    return flipped


def upper_hex_digit(record: Record, k: int) -> Record | None:
    """The same UUID with one hex digit in upper case: equal for any UUID parser."""
    text: str = record.originator_id
    if not text[k].isalpha():
        return None
    return replace(record, originator_id=text[:k] + text[k].upper() + text[k + 1 :])


def flip_version(record: Record, k: int) -> Record:
    return replace(record, version=flip_int(record.version, k))


def flip_position(record: Record, k: int) -> Record:
    return replace(record, position=flip_int(record.position, k))


def flip_topic(record: Record, k: int) -> Record | None:
    topic = record.topic.encode()
    return replace(record, topic=flip(topic, k).decode()) if k < len(topic) else None


def flip_state(record: Record, k: int) -> Record | None:
    return replace(record, state=flip(record.state, k)) if k < len(record.state) else None


def problem_positions(report: Report) -> set[int]:
    assert len(report.problems) == report.problem_count
    return {problem.position for problem in report.problems if problem.position is not None}


class Rounds:
    """Flips made round after round: each round's one transaction puts back what the round
    before changed and makes its own flips, and one check of the whole log follows."""

    def __init__(self, tampered: Tampered) -> None:
        self.tampered = tampered
        self.originals = {record.position: record for record in tampered.original}
        self.stored: dict[int, Record] = {}
        """The records the last round changed, as now stored, by their own position."""
        self.flipped = 0
        self.played = 0

    def play(self, how: Flip, ks: Sequence[int], what: str) -> None:
        """A round for each byte ``k``: every record with such a byte has it flipped, each
        is reported at its position, and nothing else is (but where a flip moved one to)."""
        for k in ks:
            flips = {position: how(record, k) for position, record in self.originals.items()}
            changed = {position: new for position, new in flips.items() if new is not None}
            if not changed:
                continue
            self._store(changed)
            reported = problem_positions(self.tampered.verify())
            missed = changed.keys() - reported
            assert not missed, f"{what} byte {k}: flips not reported at {sorted(missed)}"
            # A record moved by a flip of its position is also reported where it landed,
            # position 0 included.
            moved_to = {record.position for record in changed.values()}
            landed = moved_to - changed.keys()
            assert landed <= reported, f"{what} byte {k}: moved records not reported"
            stray = reported - changed.keys() - moved_to
            assert not stray, f"{what} byte {k}: problems where nothing changed: {sorted(stray)}"
            self.flipped += len(changed)
            self.played += 1

    def finish(self) -> None:
        """Put back the last round's flips: the log is as the ledger wrote it."""
        self.restore()
        assert self.tampered.table.records() == self.tampered.original
        assert self.tampered.verify().ok

    def restore(self) -> None:
        """Put back the last round's flips, checking nothing."""
        self._store({})

    def _store(self, changed: dict[int, Record]) -> None:
        touched = self.stored.keys() | changed.keys()
        old = [self.stored.get(position, self.originals[position]) for position in touched]
        new = [changed.get(position, self.originals[position]) for position in touched]
        self.tampered.table.rewrite(old, new)
        self.stored = changed


@contextmanager
def rounds_on(tampered: Tampered) -> Iterator[Rounds]:
    """Rounds whose flips are put back when they end, even when a round failed, so that the
    module's other tests find the log as the ledger wrote it."""
    rounds = Rounds(tampered)
    try:
        yield rounds
    except BaseException:
        rounds.restore()
        raise
    rounds.finish()


def test_every_byte_of_the_id_version_topic_and_position_flipped_is_reported(
    tampered: Tampered,
) -> None:
    started = time.monotonic()
    kind, original = tampered.table.kind, tampered.original
    longest_id = max(len(id_bytes(kind, record)) for record in original)
    longest_topic = max(len(record.topic.encode()) for record in original)
    with rounds_on(tampered) as rounds:
        rounds.play(flip_id(kind), range(longest_id), "id")
        rounds.play(flip_version, range(8), "version")
        rounds.play(flip_topic, range(longest_topic), "topic")
        rounds.play(flip_position, range(8), "position")
        if kind == "sqlite":
            rounds.play(upper_hex_digit, range(longest_id), "id's hex case")
    expected = sum(
        len(id_bytes(kind, record)) + 8 + len(record.topic.encode()) + 8 for record in original
    )
    if kind == "sqlite":
        expected += sum(sum(c.isalpha() for c in record.originator_id) for record in original)
    elapsed = time.monotonic() - started
    print(
        f"\n{kind}: {rounds.flipped} flips of ids, versions, topics, positions reported, "
        f"{rounds.played} rounds in {elapsed:.1f} s"
    )
    assert rounds.flipped == expected


def test_every_byte_of_every_state_flipped_is_reported(tampered: Tampered) -> None:
    started = time.monotonic()
    kind, original = tampered.table.kind, tampered.original
    longest = max(len(record.state) for record in original)
    assert longest <= LONGEST_STATE
    with rounds_on(tampered) as rounds:
        rounds.play(flip_state, range(longest), "state")
    elapsed = time.monotonic() - started
    total = sum(len(record.state) for record in original)
    print(
        f"\n{kind}: {rounds.flipped} of {total} state bytes flipped and reported, "
        f"{rounds.played} rounds in {elapsed:.1f} s"
    )
    assert rounds.flipped == total
    assert rounds.played == longest


# --- rewrites that keep the JSON equal --------------------------------------------------------


def json_equal_rewrites(state: bytes) -> dict[str, bytes]:
    """The state with a character written as an escape the ledger never writes: bytes that
    parse to the same JSON. (A leaf commits to the event's JSON value, so rewrites that keep
    the value and touch no escape, such as keys reordered or spaces added, change no answer
    of the ledger and are not reported; see the README's "Proofs for auditors".)"""
    text = state.decode()
    parsed = json.loads(text)
    rewrites = {
        "a character as a lower-case \\u escape": text.replace("ë", "\\u00eb", 1),
        "a character as an upper-case \\u escape": text.replace("ë", "\\u00EB", 1),
        "an ASCII character as a \\u escape": re.sub(
            r"(\d{4})-(\d\d)", r"\1\\u002d\2", text, count=1
        ),
    }
    for name, rewrite in rewrites.items():
        assert rewrite != text and json.loads(rewrite) == parsed, name
    return {name: rewrite.encode() for name, rewrite in rewrites.items()}


def test_a_state_rewritten_to_the_same_json_is_reported(tampered: Tampered) -> None:
    targets = [record for record in tampered.original if "ë".encode() in record.state][:3]
    assert targets
    missed = []
    for record in targets:
        for name, rewrite in json_equal_rewrites(record.state).items():
            tampered.table.update([replace(record, state=rewrite)])
            if tampered.verify().first_bad_position != record.position:
                missed.append(f"{name} at position {record.position}")
            tampered.table.update([record])
    assert tampered.verify().ok
    assert not missed, f"rewrites of a state not reported: {missed}"


# --- records moved, added, taken away ---------------------------------------------------------


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


# --- the command ------------------------------------------------------------------------------


def command_verify(services: Services) -> tuple[int, str]:
    answer = ledger_command("verify", "--database", services.settings.database_url)
    return answer.returncode, answer.stdout + answer.stderr


def test_the_verify_command_names_the_first_bad_position(tampered: Tampered) -> None:
    table, original = tampered.table, tampered.original
    code, output = command_verify(tampered.services)
    assert code == 0 and f"Verified: {len(original)} events" in output, output
    record = original[250]
    cases = [
        ([record], [replace(record, state=flip(record.state, len(record.state) // 2))]),
        ([record], [replace(record, topic=flip(record.topic.encode(), 3).decode())]),
        ([record], [replace(record, version=flip_int(record.version, 0))]),
        ([record], []),
    ]
    for old, new in cases:
        table.replace(old, new)
        code, output = command_verify(tampered.services)
        assert code == 1, output
        assert f"the first bad position is {record.position}." in output, output
        assert f"position {record.position}:" in output, output
        tampered.restore()
