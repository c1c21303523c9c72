"""The live feed: every recorded event, as server-sent events, in log order.

``GET /v1/changes/stream`` answers ``text/event-stream`` and keeps the connection open. Each
event of the log that passes the filters is sent as ``id: <position>``, ``event: <type>`` and
``data: <the feed item as JSON>`` (``application.feed``). A client that reconnects sends the
last id it received as ``Last-Event-ID`` (browsers' ``EventSource`` does so by itself) and
the stream carries on after it: positions only grow and a write's events are committed in
position order, so nothing is lost or sent twice across a reconnect.

New events are found by reading the log every ``LEDGER_STREAM_POLL_SECONDS``: one indexed
range query, which sees the writes of every process sharing the database. After
``LEDGER_STREAM_HEARTBEAT_SECONDS`` without an event the stream sends a comment line, so that
proxies keep it open; on a filtered stream that heartbeat also carries ``id:`` alone when the
filter skipped events since the last one sent, which moves the client's last event id past
them (the event-stream format updates it and dispatches nothing), so that a reconnect does
not read them again.

The stream ends when the client goes (Starlette cancels it) and when the server is asked to
stop (``ShutdownWatch``): it then finishes its answer instead of holding the server's
graceful shutdown open, and clients reconnect to another process or after the restart.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from types import FrameType
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from api.auth import READ
from api.blocking import blocking
from api.deps import ServicesDep
from api.errors import PROBLEM_RESPONSES
from api.json_answers import encode
from application.feed import FeedFilter, feed_items, last_position
from application.ledger import Ledger
from application.outages import is_unavailable
from application.settings import Settings
from domain.errors import InvalidValue
from domain.values import Authority, MeasureKind

router = APIRouter(tags=["audit"])
log = structlog.get_logger("api.stream")
EVENT_STREAM = "text/event-stream"
HEADERS = {
    "Cache-Control": "no-store",
    # Proxies that buffer answers (nginx) would hold the events back.
    "X-Accel-Buffering": "no",
}
MAX_POSITION = 2**63 - 1
FEED_ITEM = {
    "type": "object",
    "description": (
        "The event as the raw log shows it (GET /v1/events, without its Merkle leaf), with "
        "its subject_id, measure_id, authority, kind, programs and effective times at the "
        "top where it has them"
    ),
    "required": ["position", "type", "aggregate", "aggregate_id", "version", "recorded_at"],
    "properties": {
        "position": {"type": "integer", "minimum": 1},
        "type": {"type": "string"},
        "aggregate": {"type": "string"},
        "aggregate_id": {"type": "string"},
        "version": {"type": "integer"},
        "recorded_at": {"type": ["string", "null"]},
        "subject_id": {"type": "string"},
        "measure_id": {"type": "string"},
        "authority": {"type": "string"},
        "kind": {"type": "string"},
        "programs": {"type": "array", "items": {"type": "string"}},
    },
}
SERVER_SENT_EVENT = {
    "type": "object",
    "description": "One event of the stream; comment lines (heartbeats) are not events",
    "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "Its log position"},
        "event": {"type": "string", "description": "Its type, as in the raw log"},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": FEED_ITEM,
        },
    },
}


class ShutdownWatch:
    """Whether this process was asked to stop, for the streams to end their answers.

    uvicorn, on SIGTERM or SIGINT, stops accepting and waits for answers in flight to finish
    before it shuts the app down; an open stream never finishes by itself, so it would hold
    the shutdown until the grace period ran out and then be cut. uvicorn tells the app
    nothing, so the first stream of a server chains a handler before uvicorn's own for
    those signals: it notes the request and hands the signal on. Signal handlers can only be
    set from the main thread, where uvicorn runs its loop; elsewhere (a test's client) there
    is no server to stop and nothing is set.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self._handlers: dict[int, Callable[[int, FrameType | None], None]] = {}

    def watch(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in self.SIGNALS:
            current = signal.getsignal(sig)
            if current is self._handlers.get(sig) or not callable(current):
                continue
            # A server's own handler not chained yet: a server started since the last one.
            self.requested = False
            self._handlers[sig] = self._chained(current)
            signal.signal(sig, self._handlers[sig])

    def _chained(
        self, handler: Callable[[int, FrameType | None], Any]
    ) -> Callable[[int, FrameType | None], None]:
        def noted(signum: int, frame: FrameType | None) -> None:
            self.requested = True
            handler(signum, frame)

        return noted


shutdown = ShutdownWatch()


@router.get(
    "/v1/changes/stream",
    dependencies=[READ],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "Server-sent events, one per recorded event in log order: "
                "'id: <position>', 'event: <type>', 'data: <JSON>'; "
                "comment lines as heartbeats"
            ),
            "content": {EVENT_STREAM: {"schema": SERVER_SENT_EVENT}},
        },
        **PROBLEM_RESPONSES,
    },
    summary="Follow every change as it is recorded (server-sent events)",
    description=(
        "Every event recorded after Last-Event-ID (or after, or from now when neither is "
        "given) that passes the filters, in log order, as the log grows. Repeat a filter "
        "to follow several values; an event must pass every filter given. Reconnect with "
        "the last id received as Last-Event-ID to carry on without a gap or a repeat."
    ),
)
async def stream_changes(
    services: ServicesDep,
    after: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_POSITION,
            description="Start after this position (0: the whole log); default: from now",
        ),
    ] = None,
    authority: Annotated[list[Authority] | None, Query(description="Authorities")] = None,
    program: Annotated[list[str] | None, Query(description="Programs, e.g. DPRK3")] = None,
    kind: Annotated[list[MeasureKind] | None, Query(description="Measure kinds")] = None,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=32,
            description="The last id received: the stream carries on after it",
        ),
    ] = None,
) -> StreamingResponse:
    chosen = FeedFilter.of(
        [a.value for a in authority or ()], program or (), [k.value for k in kind or ()]
    )
    resumed = _position(last_event_id)
    start = resumed if resumed is not None else after
    end = await blocking(last_position, services.ledger)
    if start is not None and start > end:
        raise InvalidValue(f"position {start} is past the end of the log ({end})")
    shutdown.watch()
    events = _events(services.ledger, services.settings, end if start is None else start, chosen)
    return StreamingResponse(events, media_type=EVENT_STREAM, headers=HEADERS)


def _position(last_event_id: str | None) -> int | None:
    """The position a Last-Event-ID names (an empty one names none, as browsers send it)."""
    if last_event_id is None or last_event_id == "":
        return None
    if not (last_event_id.isascii() and last_event_id.isdigit()):
        raise InvalidValue("Last-Event-ID must be a log position (ASCII digits)")
    position = int(last_event_id)
    if position > MAX_POSITION:
        raise InvalidValue(f"Last-Event-ID {position} is not a log position")
    return position


def frame(item: dict[str, Any]) -> str:
    """One feed item as a server-sent event (JSON holds no raw line break)."""
    return f"id: {item['position']}\nevent: {item['type']}\ndata: {encode(item)}\n\n"


async def _events(
    ledger: Ledger, settings: Settings, after: int, chosen: FeedFilter
) -> AsyncIterator[str]:
    """The stream's body: the retry hint, then events as the log grows, heartbeats between."""
    yield f"retry: {settings.stream_retry_ms}\n\n"
    sent = after  # the client's last event id
    quiet_since = time.monotonic()
    while not shutdown.requested:
        scanned = await _scan(ledger, after, settings.stream_batch_size, chosen)
        progressed = scanned is not None and scanned[1] > after
        if scanned is not None and progressed:
            items, after = scanned
            if items:
                yield "".join(frame(item) for item in items)
                sent, quiet_since = items[-1]["position"], time.monotonic()
        if time.monotonic() - quiet_since >= settings.stream_heartbeat_seconds:
            yield ": heartbeat\n" + (f"id: {after}\n" if after > sent else "") + "\n"
            sent, quiet_since = after, time.monotonic()
        if not progressed:  # caught up: wait for more; else read the next batch at once
            await asyncio.sleep(settings.stream_poll_seconds)


async def _scan(
    ledger: Ledger, after: int, limit: int, chosen: FeedFilter
) -> tuple[list[dict[str, Any]], int] | None:
    """The next batch, or ``None`` while the database is away: the stream stays open, its
    heartbeats go on, and it carries on from the same position once the database is back
    (a client would otherwise reconnect into a 503, which ends an EventSource for good)."""
    try:
        return await blocking(feed_items, ledger, after, limit, chosen)
    except Exception as error:
        if not is_unavailable(error):
            raise
        log.warning("change stream waits for the database", after=after, error=type(error).__name__)
        return None
