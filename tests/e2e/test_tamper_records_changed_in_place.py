"""Every byte of every stored event flipped in the database behind the ledger's back (of the
id, the version, the position, the topic and the state), and states rewritten as other bytes
of the same JSON: ``verify`` reports each record changed at its position, and nothing else
(but the place a flip of its position moved it to)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import pytest

from tests.support.events_table import Record, Tampered, flip, flip_int, problem_positions

pytestmark = pytest.mark.usefixtures("every_problem_listed")

LONGEST_STATE = 820
"""A bound on the longest state: the number of rounds that flip the states' bytes."""

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


def test_the_ledger_holds_500_small_events_of_every_kind(tampered: Tampered) -> None:
    original = tampered.original
    assert len(original) >= 500
    assert {record.topic for record in original} == EVERY_TOPIC
    longest = max(len(record.state) for record in original)
    print(f"\n{tampered.table.kind}: {len(original)} events, the longest state {longest} bytes")
    assert longest <= LONGEST_STATE
    assert tampered.verify().ok


# --- flipping -------------------------------------------------------------------------------


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


class Rounds:
    """Flips made round after round: each round's one transaction puts back what the round
    before changed and makes its own flips, and one check of the whole log follows.

    Every byte is flipped (XOR 0x01), none left out: the id's (32 hex characters on SQLite,
    the 16 bytes of a PostgreSQL ``uuid``), the version's and the position's (8 bytes each),
    the topic's and the state's. A column needs as many rounds as its longest value has bytes,
    each a full check of the log (15 to 20 ms), so the events are kept small (a one-letter
    source, short names, one program): the longest state has 804 bytes (at most
    ``LONGEST_STATE``), and its 804 rounds flip all 311,754 bytes of the states; ids,
    versions, topics and positions take 78 rounds more (35,000 bytes) on PostgreSQL and 94 on
    SQLite (43,000 bytes). An upper-case hex digit in a SQLite id keeps the JSON equal (a
    PostgreSQL ``uuid`` has no case to flip; 31 rounds, 6,000 digits)."""

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
