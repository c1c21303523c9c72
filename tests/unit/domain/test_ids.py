"""New subject ids: random version 4 UUIDs, drawn many at a time, never the same twice,
not even in a process forked from one holding undrawn ids."""

from __future__ import annotations

import os
from uuid import UUID

from domain.ids import IDS_PER_DRAW, new_subject_id


def test_new_subject_ids_are_random_version_4_uuids() -> None:
    ids = [new_subject_id() for _ in range(3 * IDS_PER_DRAW)]
    assert len(set(ids)) == len(ids)
    for subject_id in ids:
        assert subject_id.version == 4
        assert subject_id.variant == "specified in RFC 4122"
        assert UUID(str(subject_id)) == subject_id


def test_a_forked_process_does_not_give_its_parents_next_ids() -> None:
    new_subject_id()  # the parent now holds undrawn ids that a child would otherwise share
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.write(writing, new_subject_id().bytes)
        os._exit(0)
    os.close(writing)
    given_in_child = UUID(bytes=os.read(reading, 16))
    os.close(reading)
    os.waitpid(child, 0)
    assert given_in_child != new_subject_id()
