"""What the read endpoints answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.subjects import MeasureFields, ProfileOut, ReferenceOut
from domain.values import SubjectKind


class ReadPointOut(BaseModel):
    as_of: datetime = Field(description="The effective time the answer reads at")
    known_at: str = Field(description="The recorded time or position asked for ('now' if none)")
    position: int = Field(description="The log position the answer reflects")


class ListedMeasure(MeasureFields):
    subject_kind: SubjectKind
    primary_name: str = Field(description="The subject's primary name at as_of")
    references: list[ReferenceOut]
    segment_from: datetime = Field(description="Since when these terms and this name hold")
    segment_until: datetime | None


class MeasurePage(ReadPointOut):
    items: list[ListedMeasure]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null at the end")


class ListedSubject(BaseModel):
    subject_id: str
    kind: SubjectKind
    references: list[ReferenceOut]
    profile: ProfileOut
    measures: list[ListedMeasure] = Field(description="The subject's measures in force at as_of")


class SubjectPage(ReadPointOut):
    items: list[ListedSubject]
    next_cursor: str | None


class Change(BaseModel):
    key: str
    entity: Literal["link", "measure", "subject"]
    id: str
    change: Literal["added", "removed", "modified"]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ChangePage(BaseModel):
    since: ReadPointOut
    until: ReadPointOut
    items: list[Change]
    next_cursor: str | None


class LoggedEvent(BaseModel):
    position: int
    aggregate_id: str
    aggregate: Literal["subject", "reference_claim", "publication_log", "link"]
    version: int
    type: str
    topic: str
    recorded_at: datetime
    event_id: str | None
    recorded_by: dict[str, Any] | None
    source: dict[str, Any] | None
    reason: str | None
    data: dict[str, Any]
    entry: dict[str, Any] = Field(
        description=(
            "The event exactly as stored, the entry of its leaf in the Merkle tree: "
            "leaf_hash = SHA-256(0x00 || RFC 8785 canonical JSON of entry)"
        )
    )
    leaf_index: int = Field(description="The event's leaf in the tree (0 for the first event)")
    leaf_hash: str = Field(description="The leaf's hash, base64")


class EventPage(BaseModel):
    items: list[LoggedEvent]
    next_after: int | None = Field(description="Pass as after for the next page; null at the end")
    position: int = Field(description="The last position of the log when answered")
