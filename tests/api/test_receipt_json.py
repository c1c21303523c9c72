"""A write's receipt as its answer writes it: the same bytes as the response model's."""

from __future__ import annotations

from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from api.schemas.writes import WriteReceiptOut
from application.receipts import LINK_EVENT_TYPES, RecordedEvent, WriteReceipt

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)
"""Which no JSON text can hold alone."""
TEXT = st.text(st.characters(exclude_categories=SURROGATES), max_size=20)
EVENTS = st.builds(
    RecordedEvent,
    event_id=TEXT,
    subject_id=st.uuids(),
    version=st.integers(1, 2**31),
    type=st.one_of(TEXT, st.sampled_from(sorted(LINK_EVENT_TYPES))),
    position=st.integers(1, 2**53),
    measure_id=st.none() | TEXT,
)
RECEIPTS = st.builds(
    WriteReceipt,
    events=st.lists(EVENTS, max_size=6).map(tuple),
    position=st.none() | st.integers(1, 2**53),
)


@given(RECEIPTS)
def test_a_receipt_is_written_as_its_model_writes_it(receipt: WriteReceipt) -> None:
    expected = WriteReceiptOut.of(receipt).model_dump_json().encode()
    assert WriteReceiptOut.json_of(receipt) == expected
