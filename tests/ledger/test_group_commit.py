"""Writes that arrive together are stored together, on every store, and each is answered on
its own: checked on the state the writes before it left, with its own receipt or its own error.
Here too is how the tests make a group of chosen writes (``Group``, the ``group`` fixture).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.commands import (
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    RecordAction,
    RegisterSubject,
)
from application.errors import PreconditionFailed
from application.idempotency import Claim
from application.ledger import Ledger
from application.receipts import WriteReceipt
from domain.errors import InvalidValue, LedgerError, SubjectNotFound
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Source,
    SubjectKind,
)
from tests.support.ledgers import log_dump

ACTOR = Actor("k1", "group test")
CITED = Citation(source=Source(Authority.US_OFAC, "group"))
DAY = datetime(2021, 12, 10, tzinfo=UTC)
WAIT = 30.0


def register(name: str, subject_id: UUID | None = None) -> RegisterSubject:
    return RegisterSubject(
        kind=SubjectKind.PERSON,
        profile=Profile((Name(name),)),
        citation=CITED,
        key="s",
        subject_id=subject_id,
    )


def designate(subject: str, programs: tuple[str, ...] = ("GLOMAG",)) -> ImposeMeasure:
    return ImposeMeasure(
        subject=subject,
        kind=MeasureKind.DESIGNATION,
        authority=Authority.US_OFAC,
        programs=programs,
        effective_from=DAY,
        citation=CITED,
    )


def register_and_designate(name: str, subject_id: UUID | None = None) -> RecordAction:
    return RecordAction((register(name, subject_id), designate("s")), citation=CITED)


def amend(subject_id: UUID, name: str, expected_version: int | None = None) -> AmendProfile:
    return AmendProfile(
        subject=subject_id,
        profile=Profile((Name(name),)),
        effective_at=DAY + timedelta(days=1),
        citation=CITED,
        expected_version=expected_version,
    )


class HeldClock:
    """The ledger's clock, making the first write that reads it wait until ``release``."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.release = threading.Event()
        self.holding = threading.Event()

    def __call__(self) -> datetime:
        if not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(WAIT), "the held write was never released"
        return self.clock()


@dataclass
class Outcome:
    receipt: WriteReceipt | None = None
    error: BaseException | None = None


class Group:
    """Writes run in threads of their own, queued in a known order behind a held write.

    The first write is held while it is being checked (by the ledger's clock, which it reads)
    while the others queue one after another; released, they form the next group, in the
    order they queued."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.sizes: list[int] = []
        commit_group = ledger._writes.commit_group

        def counted(writes: list[Any]) -> None:
            self.sizes.append(len(writes))
            commit_group(writes)

        ledger._writes.commit_group = counted
        self.clock = HeldClock(ledger.clock)
        ledger.clock = self.clock
        self.threads: list[threading.Thread] = []
        self.outcomes: list[Outcome] = []
        self._start(register_and_designate("HOLDER"), None)
        self._wait_for(self.clock.holding.is_set)

    def add(self, command: Command | RecordAction, with_claim: Claim | None = None) -> Outcome:
        queued = len(self.ledger._writes._queue)
        outcome = self._start(command, with_claim)
        self._wait_for(lambda: len(self.ledger._writes._queue) == queued + 1)
        return outcome

    def run(self) -> None:
        """Release the held write and wait for every write's answer."""
        self.clock.release.set()
        for thread in self.threads:
            thread.join(WAIT)
            assert not thread.is_alive()

    def _start(self, command: Command | RecordAction, with_claim: Claim | None) -> Outcome:
        outcome = Outcome()

        def write() -> None:
            try:
                outcome.receipt = self.ledger.execute(command, ACTOR, with_claim)
            except BaseException as error:
                outcome.error = error

        thread = threading.Thread(target=write)
        self.threads.append(thread)
        self.outcomes.append(outcome)
        thread.start()
        return outcome

    @staticmethod
    def _wait_for(condition: Callable[[], bool]) -> None:
        event = threading.Event()
        for _ in range(int(WAIT / 0.005)):
            if condition():
                return
            event.wait(0.005)
        raise AssertionError("the writes did not queue")


@pytest.fixture
def group(ledger: Ledger) -> Iterator[Callable[[], Group]]:
    """Makes the group, once the test's own setup is written."""
    made: list[Group] = []

    def make() -> Group:
        made.append(Group(ledger))
        return made[-1]

    yield make
    for each in made:
        each.clock.release.set()
        for thread in each.threads:
            thread.join(WAIT)


def received(outcome: Outcome) -> WriteReceipt:
    assert outcome.error is None, outcome.error
    assert outcome.receipt is not None
    return outcome.receipt


def assert_log_matches(ledger: Ledger, receipts: list[WriteReceipt]) -> None:
    """Every event is in the log exactly once, at the position its receipt says, and each
    write's events are consecutive."""
    log = log_dump(ledger)
    keys = [(subject, version) for _, subject, version, _, _ in log]
    assert len(set(keys)) == len(keys), "an event is in the log twice"
    at = {(subject, version): position for position, subject, version, _, _ in log}
    for receipt in receipts:
        positions = [event.position for event in receipt.events]
        assert positions == list(range(positions[0], positions[0] + len(positions)))
        assert receipt.position == positions[-1]
        for event in receipt.events:
            assert at[(str(event.subject_id), event.version)] == event.position


def test_writes_queued_together_are_stored_in_one_group_each_with_its_own_receipt(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    shared = ledger.execute(register_and_designate("SHARED"), ACTOR).subject_ids[0]
    named = uuid.uuid4()
    writes = group()
    outcomes = [
        writes.add(register_and_designate("ALPHA")),
        writes.add(amend(shared, "SHARED ONE")),
        writes.add(register_and_designate("BRAVO", named)),
        writes.add(amend(shared, "SHARED TWO")),
        writes.add(designate(str(named), ("DPRK3",))),
        writes.add(amend(shared, "SHARED THREE")),
    ]
    writes.run()
    assert writes.sizes == [1, len(outcomes)]
    receipts = [received(outcome) for outcome in outcomes]
    assert_log_matches(ledger, [received(writes.outcomes[0]), *receipts])
    # Each write was checked on the state the writes before it in the group left.
    assert [receipts[i].events[0].version for i in (1, 3, 5)] == [3, 4, 5]
    assert receipts[4].events[0].event_id == f"{named}@3"
    assert ledger.subject(shared).state.profile_at(DAY + timedelta(days=2)).primary_name == (
        "SHARED THREE"
    )
    positions = [receipt.position or 0 for receipt in receipts]
    assert positions == sorted(positions)


def test_a_refused_write_takes_nothing_from_the_others_in_its_group(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    shared = ledger.execute(register_and_designate("SHARED"), ACTOR).subject_ids[0]
    writes = group()
    outcomes = [
        writes.add(amend(shared, "FIRST")),
        writes.add(designate(str(uuid.uuid4()))),  # no such subject
        writes.add(amend(shared, "STALE", expected_version=2)),  # the first moved it to 3
        writes.add(register_and_designate("NUL\x00NAME")),  # text no store can hold
        writes.add(designate(str(shared))),  # the same measure in force twice
        writes.add(amend(shared, "SECOND", expected_version=3)),
        writes.add(register_and_designate("CHARLIE")),
    ]
    writes.run()
    assert writes.sizes == [1, len(outcomes)]
    errors = [type(outcome.error) for outcome in outcomes]
    assert errors[1] is SubjectNotFound
    assert errors[2] is PreconditionFailed
    assert errors[3] is InvalidValue
    assert errors[4] is not None
    assert issubclass(errors[4], LedgerError)
    stored = [received(outcomes[i]) for i in (0, 5, 6)]
    assert [receipt.events[0].version for receipt in stored[:2]] == [3, 4]
    assert_log_matches(ledger, [received(writes.outcomes[0]), *stored])
    assert len(log_dump(ledger)) == 2 + 2 + 1 + 1 + 2
    assert ledger.subject(shared).version == 4


def test_many_threads_writing_at_once_each_get_their_own_receipt(ledger: Ledger) -> None:
    shared = ledger.execute(register(name="SHARED"), ACTOR).subject_ids[0]
    threads, writes = 12, 6
    start = threading.Barrier(threads)
    receipts: list[WriteReceipt] = []
    errors: list[BaseException] = []
    heard: list[WriteReceipt] = []
    ledger.listeners.append(heard.append)

    def writer(n: int) -> None:
        start.wait(WAIT)
        for i in range(writes):
            command: Command | RecordAction = (
                amend(shared, f"NAME {n} {i}") if n % 2 else register_and_designate(f"W{n}-{i}")
            )
            try:
                receipts.append(ledger.execute(command, ACTOR))
            except BaseException as error:
                errors.append(error)

    running = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(WAIT * 2)
    assert not errors
    assert len(receipts) == threads * writes
    assert_log_matches(ledger, receipts)
    assert sorted(r.position or 0 for r in heard) == sorted(r.position or 0 for r in receipts)
    amended = sorted(
        receipt.events[0].version for receipt in receipts if receipt.subject_ids == [shared]
    )
    assert amended == list(range(2, 2 + (threads // 2) * writes))
    assert len(log_dump(ledger)) == 1 + (threads // 2) * writes * 3
