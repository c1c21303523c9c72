"""A write of a group is checked on what the writes before it in the group made: a subject one
of them created, a reference one of them claimed. References claimed before the group, which
the group takes to be new without reading them, are still refused or taken over as alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

import pytest

from application.errors import WriteConflict
from application.ledger import Ledger
from domain.errors import ReferenceTaken
from domain.values import Authority, Reference
from tests.ledger import test_group_commit
from tests.ledger.test_group_commit import (
    ACTOR,
    Group,
    amend,
    designate,
    received,
    register,
    register_and_designate,
)
from tests.support.ledgers import log_dump

group = test_group_commit.group  # the fixture that holds a group's first write


def test_two_writes_creating_the_same_subject_in_one_group_store_it_once(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    same = uuid.uuid4()
    writes = group()
    outcomes = [
        writes.add(register_and_designate("ONCE", same)),
        writes.add(register_and_designate("TWICE", same)),
        writes.add(register_and_designate("OTHER")),
    ]
    writes.run()
    assert received(outcomes[0]).subject_ids == [same]
    assert isinstance(outcomes[1].error, WriteConflict)
    received(outcomes[2])
    assert ledger.subject(same).version == 2


def test_a_write_reads_what_the_writes_before_it_in_its_group_made(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    """What the group reads ahead of its writes (the subject below, known absent then) never
    hides what an earlier write of the group made."""
    made = uuid.uuid4()
    writes = group()
    outcomes = [
        writes.add(register("MADE", made)),
        writes.add(replace(designate("s"), subject=made)),
        writes.add(amend(made, "MADE AGAIN")),
    ]
    writes.run()
    for outcome in outcomes:
        received(outcome)
    assert writes.sizes[-1] == 3
    assert ledger.subject(made).version == 3


def test_a_reference_claimed_by_a_write_of_the_group_is_taken_for_the_next(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    reference = Reference(Authority.US_OFAC, "77001")
    writes = group()
    first = writes.add(replace(register("FIRST"), references=(reference,)))
    second = writes.add(replace(register("SECOND"), references=(reference,)))
    other = writes.add(
        replace(register("OTHER"), references=(Reference(Authority.US_OFAC, "77002"),))
    )
    writes.run()
    holder = received(first).subject_ids[0]
    assert isinstance(second.error, ReferenceTaken)
    received(other)
    assert ledger.subject_id_for(reference) == holder


def test_references_claimed_before_the_group_are_refused_or_taken_over_as_alone(
    ledger: Ledger, group: Callable[[], Group]
) -> None:
    # A group takes the claims of the references it registers to be new, without reading
    # them: one that exists must still be refused, or taken over from a subject that let it
    # go, and the other writes of the group stored.
    held, released = Reference(Authority.US_OFAC, "77011"), Reference(Authority.US_OFAC, "77012")
    holder = ledger.execute(replace(register("HOLDS"), references=(held,)), ACTOR).subject_ids[0]
    former = ledger.execute(replace(register("GAVE UP"), references=(released,)), ACTOR)
    ledger.execute(replace(amend(former.subject_ids[0], "GAVE UP"), references=()), ACTOR)
    before = log_dump(ledger)
    writes = group()
    taken = writes.add(replace(register("TAKEN"), references=(held,)))
    heir = writes.add(replace(register("HEIR"), references=(released,)))
    other = writes.add(
        replace(register("OTHER"), references=(Reference(Authority.US_OFAC, "77013"),))
    )
    writes.run()
    assert isinstance(taken.error, ReferenceTaken)
    assert ledger.subject_id_for(held) == holder
    assert ledger.subject_id_for(released) == received(heir).subject_ids[0]
    new = Reference(Authority.US_OFAC, "77013")
    assert ledger.subject_id_for(new) == received(other).subject_ids[0]
    # The held write, the heir (subject, claim taken over) and the other (subject, claim).
    assert len(log_dump(ledger)) == len(before) + 2 + 2 + 2


def test_a_write_alone_registering_a_held_reference_is_refused_at_once(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = Reference(Authority.US_OFAC, "77021")
    ledger.execute(replace(register("HOLDS"), references=(held,)), ACTOR)
    before = log_dump(ledger)
    waits: list[int] = []
    monkeypatch.setattr("application.ledger._back_off", waits.append)
    with pytest.raises(ReferenceTaken):
        ledger.execute(replace(register("TAKEN"), references=(held,)), ACTOR)
    assert log_dump(ledger) == before
    assert waits == [], "checked again at once, reading the claim, not after a back-off"
