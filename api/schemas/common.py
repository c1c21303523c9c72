"""Request and response pieces shared by several endpoints."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from application.commands import Citation
from domain.values import Authority, Source

ShortText = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]


def parse_moment(value: Any) -> Any:
    """Accept an ISO date (midnight UTC) or an ISO timestamp; a timestamp without a zone
    is read as UTC, the ledger's only zone, and one with a zone is turned into UTC here, so
    that an instant outside the calendar once in UTC (``9999-12-31T23:59:59-01:00``) is
    refused at the door. Anything else is refused, numbers included, which pydantic would
    otherwise read as seconds since 1970: the schema promises ISO."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("expected an ISO date or timestamp, e.g. 2021-12-10, not a number")
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not an ISO date or timestamp") from None
    if isinstance(value, datetime):
        return in_utc(value)
    return value


def in_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{moment.isoformat()} falls outside the calendar (years 1 to 9999) in UTC"
        ) from None


Moment = Annotated[
    datetime,
    BeforeValidator(parse_moment),
    Field(
        description="An ISO date (read as midnight UTC) or an ISO timestamp (UTC unless it "
        "names its zone)",
        examples=["2021-12-10", "2021-12-10T18:50:16Z"],
    ),
]


class Strict(BaseModel):
    """Requests reject unknown fields, so that a misspelt field is an error, not a no-op."""

    model_config = ConfigDict(extra="forbid")


class SourceIn(Strict):
    authority: Authority = Field(description="Who published the cited document")
    reference: ShortText = Field(description="Which document: a press release id, a notice number")
    url: Annotated[str, Field(max_length=2000)] | None = None
    published_on: date | None = None

    def to_value(self) -> Source:
        return Source(self.authority, self.reference, self.url, self.published_on)


class Cited(Strict):
    """What every write carries besides its own fields."""

    source: SourceIn
    reason: LongText | None = None
    confirm_unusual_dates: bool = Field(
        default=False,
        description="Record an effective date before 1945 or more than a year ahead anyway",
    )

    def citation(self) -> Citation:
        return Citation(self.source.to_value(), self.reason, self.confirm_unusual_dates)


class SourceOut(BaseModel):
    authority: str
    reference: str
    url: str | None = None
    published_on: date | None = None
    observed_at: datetime | None = None
    sha256: str | None = None


class ActorOut(BaseModel):
    id: str
    name: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
