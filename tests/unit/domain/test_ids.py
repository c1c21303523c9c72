"""New subject ids: time-ordered version 7 UUIDs with random bits drawn many at a time,
never the same twice, not even in a process forked from one holding undrawn ids."""

from __future__ import annotations

import os
import time
from uuid import UUID, uuid5

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ids import IDS_PER_DRAW, NameBasedIds, new_subject_id
from domain.link import Link
from domain.publications import PublicationLog
from domain.reference_claim import ReferenceClaim
from domain.values import Authority, Reference


def test_new_subject_ids_are_version_7_uuids_of_the_time_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_subject_id() for _ in range(3 * IDS_PER_DRAW)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    for subject_id in ids:
        assert subject_id.version == 7
        assert subject_id.variant == "specified in RFC 4122"
        assert UUID(str(subject_id)) == subject_id
        assert before <= subject_id.int >> 80 <= after


def test_ids_made_later_sort_after_earlier_ones() -> None:
    earlier = new_subject_id()
    time.sleep(0.002)
    later = new_subject_id()
    assert str(earlier) < str(later) and earlier.hex < later.hex


def test_ids_of_one_millisecond_differ_in_their_random_bits() -> None:
    ids = [new_subject_id() for _ in range(2 * IDS_PER_DRAW)]
    random_bits = {subject_id.int & ((1 << 62) - 1) for subject_id in ids}
    random_a = {subject_id.int >> 64 & 0xFFF for subject_id in ids}
    assert len(random_bits) == len(ids)
    assert len(random_a) > 1


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


@settings(max_examples=300)
@given(namespace=st.uuids(), name=st.text())
def test_name_based_ids_are_the_standard_librarys_uuid5(namespace: UUID, name: str) -> None:
    made = NameBasedIds(namespace)(name)
    assert made == uuid5(namespace, name)
    assert made.version == 5 and made.variant == "specified in RFC 4122"


def test_the_ids_of_claims_links_and_publication_logs_did_not_change() -> None:
    """Streams already stored: the same reference, pair and authority lead to the same ids
    as when ``uuid.uuid5`` made them (these were printed by that code)."""
    claim = ReferenceClaim.id_for(Reference(Authority.US_OFAC, "36"))
    assert claim == UUID("d4eee808-0cc5-5600-8e6e-655a444ba7c8")
    assert Link.id_for(UUID(int=2), UUID(int=1)) == UUID("e14b5fa1-0fd7-584f-8846-3e0deb9e55b4")
    log = PublicationLog.id_for(Authority.UN_SC)
    assert log == UUID("5cec6186-827c-53f5-9699-6e9459304234")
