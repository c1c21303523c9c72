"""What writes answer, voidings, and actions that record many changes at once."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
from pydantic import BaseModel, Field

from api.schemas.common import LongText, SourceIn, Strict
from api.schemas.measures import (
    DesignationIn,
    InvestmentRestrictionIn,
    MeasureAmendmentIn,
    RescissionIn,
    VisaBanIn,
)
from api.schemas.subjects import ProfileAmendmentIn, SubjectIn
from application.commands import Citation, Command, RecordAction, VoidEvent
from application.receipts import WriteReceipt


class RecordedEventOut(BaseModel):
    event_id: str
    subject_id: str
    version: int
    type: str
    position: int
    measure_id: str | None


class WriteReceiptOut(BaseModel):
    """The events a write recorded. ``position`` is the log position to wait for when
    reading this write back."""

    events: list[RecordedEventOut]
    position: int | None
    subject_ids: list[str]
    measure_ids: list[str]
    link_ids: list[str] = []

    @staticmethod
    def json_of(receipt: WriteReceipt) -> bytes:
        """``of(receipt).model_dump_json()``, byte for byte, written by ``orjson`` without
        building and validating the models: every write answers with one, on the event loop
        (``tests/api/test_receipt_json.py`` compares the two)."""
        return orjson.dumps(
            {
                "events": [
                    {
                        "event_id": e.event_id,
                        "subject_id": str(e.subject_id),
                        "version": e.version,
                        "type": e.type,
                        "position": e.position,
                        "measure_id": e.measure_id,
                    }
                    for e in receipt.events
                ],
                "position": receipt.position,
                "subject_ids": [str(s) for s in receipt.subject_ids],
                "measure_ids": receipt.measure_ids,
                "link_ids": [str(link) for link in receipt.link_ids],
            }
        )

    @classmethod
    def of(cls, receipt: WriteReceipt) -> WriteReceiptOut:
        return cls(
            events=[
                RecordedEventOut(
                    event_id=e.event_id,
                    subject_id=str(e.subject_id),
                    version=e.version,
                    type=e.type,
                    position=e.position,
                    measure_id=e.measure_id,
                )
                for e in receipt.events
            ],
            position=receipt.position,
            subject_ids=[str(s) for s in receipt.subject_ids],
            measure_ids=receipt.measure_ids,
            link_ids=[str(link) for link in receipt.link_ids],
        )


class VoidingIn(Strict):
    reason: LongText = Field(description="What was recorded in error")
    source: SourceIn | None = None

    def to_command(self, event_id: str, expected_version: int | None = None) -> VoidEvent:
        source = None if self.source is None else self.source.to_value()
        return VoidEvent(
            event_id=event_id,
            citation=Citation(source=source, reason=self.reason),
            expected_version=expected_version,
        )


Key = Annotated[str, Field(min_length=1, max_length=100)]
SubjectName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="A subject id, or the key an earlier item of the action gave a subject",
    ),
]


class RegisterItem(SubjectIn):
    op: Literal["register"]
    key: Key | None = None


class AmendProfileItem(ProfileAmendmentIn):
    op: Literal["amend_profile"]
    subject: SubjectName


class DesignateItem(DesignationIn):
    op: Literal["designate"]
    subject: SubjectName


class VisaBanItem(VisaBanIn):
    op: Literal["visa_ban"]
    subject: SubjectName


class InvestmentRestrictionItem(InvestmentRestrictionIn):
    op: Literal["investment_restriction"]
    subject: SubjectName


class AmendMeasureItem(MeasureAmendmentIn):
    op: Literal["amend_measure"]
    measure_id: Key


class RescindItem(RescissionIn):
    op: Literal["rescind"]
    measure_id: Key


class VoidItem(VoidingIn):
    op: Literal["void"]
    event_id: Key


ActionItem = Annotated[
    RegisterItem
    | AmendProfileItem
    | DesignateItem
    | VisaBanItem
    | InvestmentRestrictionItem
    | AmendMeasureItem
    | RescindItem
    | VoidItem,
    Field(discriminator="op"),
]


class ActionIn(Strict):
    """One announcement with many changes, recorded all or nothing."""

    items: list[ActionItem] = Field(min_length=1, max_length=1000)

    def to_command(self) -> RecordAction:
        return RecordAction(items=tuple(_item_command(item) for item in self.items))


def _item_command(item: ActionItem) -> Command:
    if isinstance(item, RegisterItem):
        return item.to_command(key=item.key)
    if isinstance(item, (AmendProfileItem, DesignateItem, VisaBanItem, InvestmentRestrictionItem)):
        return item.to_command(item.subject)
    if isinstance(item, (AmendMeasureItem, RescindItem)):
        return item.to_command(item.measure_id)
    return item.to_command(item.event_id)
