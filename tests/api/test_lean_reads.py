"""Reads answered from the views' stored documents: the same answers as a replay of the log.

A subject read at a point the views reached is composed from their rows; where the rows
cannot tell (a voided event, a measure never in force, two profile changes at the same
earliest time, an amended measure read outside its time in force) it is replayed. Either
way the document must be the one ``subject_document`` makes from a replay, at every
position of the log and every effective time. The endpoints write their JSON themselves:
each answer must equal what its declared model makes of it.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.auth import Policy, api_routes
from api.main import create_app
from api.schemas.reads import ChangePage, EventPage, MeasurePage, SubjectPage
from api.schemas.subjects import HistoryOut, SubjectOut
from application.bootstrap import Services
from application.commands import (
    AmendMeasure,
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    RegisterSubject,
    RescindMeasure,
    VoidEvent,
)
from application.documents import subject_document
from application.read_points import ReadPoint
from application.settings import Settings
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    NameType,
    Profile,
    Reference,
    Source,
    SubjectKind,
)
from tests.support.clock import FakeClock

ACTOR = Actor("k1", "operator")
CITED = Citation(source=Source(Authority.US_OFAC, "test"), confirm_unusual_dates=True)
VOIDING = Citation(source=Source(Authority.US_OFAC, "test"), reason="recorded in error")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


READ_TIMES = [
    at(t)
    for t in (
        "1990-01-01",
        "2020-01-01",
        "2020-03-01",
        "2020-06-01",
        "2021-01-01",
        "2021-06-01",
        "2022-02-01",
        "2022-03-01",
        "2022-07-01",
        "2023-01-01",
        "2024-01-01",
        "2031-01-01",
    )
]


def run(services: Services, clock: FakeClock, command: Command) -> UUID:
    clock.advance(minutes=1)
    receipt = services.ledger.execute(command, ACTOR)
    return receipt.subject_ids[0]


def impose(subject: UUID, kind: MeasureKind, starts: str, **terms: Any) -> ImposeMeasure:
    return ImposeMeasure(
        subject=subject,
        kind=kind,
        authority=terms.pop("authority", Authority.US_OFAC),
        programs=terms.pop("programs", ("SDGT",)),
        effective_from=at(starts),
        citation=CITED,
        **terms,
    )


def rich_subject(services: Services, clock: FakeClock) -> UUID:
    """Every kind of measure and change, ending with a voiding."""
    subject = run(
        services,
        clock,
        RegisterSubject(
            kind=SubjectKind.PERSON,
            profile=Profile((Name("FIRST NAME"),), nationalities=("Iran",)),
            references=(Reference(Authority.US_OFAC, "1"),),
            effective_at=at("2020-01-01"),
            citation=CITED,
        ),
    )
    steps: list[Command] = [
        impose(subject, MeasureKind.DESIGNATION, "2020-06-01"),
        AmendProfile(
            subject=subject,
            profile=Profile((Name("SECOND NAME"), Name("ALIAS", NameType.AKA))),
            references=(Reference(Authority.US_OFAC, "1"), Reference(Authority.UK, "U1")),
            effective_at=at("2021-01-01"),
            citation=CITED,
        ),
        impose(
            subject,
            MeasureKind.VISA_BAN,
            "2021-03-01",
            authority=Authority.US_STATE,
            programs=("7031C",),
            covers_family=True,
            effective_until=at("2022-03-01"),
        ),
        impose(
            subject,
            MeasureKind.INVESTMENT_RESTRICTION,
            "2022-01-01",
            programs=("NS-CMIC",),
            divestment_deadline=at("2022-11-01"),
        ),
        RescindMeasure(f"{subject}.1", at("2023-01-01"), citation=CITED),
        impose(subject, MeasureKind.DESIGNATION, "2030-01-01", authority=Authority.UK),
        AmendMeasure(
            f"{subject}.3", effective_at=at("2022-06-01"), programs=("NS-CMIC", "EO14032")
        ),
        VoidEvent(f"{subject}@4", citation=VOIDING),
    ]
    for step in steps:
        run(services, clock, step)
    return subject


def odd_subject(services: Services, clock: FakeClock) -> UUID:
    """Two profiles at the same earliest time, and a measure rescinded as it took effect."""
    subject = run(
        services,
        clock,
        RegisterSubject(
            kind=SubjectKind.ORGANIZATION,
            profile=Profile((Name("EARLY"),)),
            effective_at=at("2021-01-01"),
            citation=CITED,
        ),
    )
    run(
        services,
        clock,
        AmendProfile(
            subject=subject,
            profile=Profile((Name("SAME TIME"),)),
            effective_at=at("2021-01-01"),
            citation=CITED,
        ),
    )
    run(services, clock, impose(subject, MeasureKind.DESIGNATION, "2021-06-01"))
    run(services, clock, RescindMeasure(f"{subject}.1", at("2021-06-01"), citation=CITED))
    return subject


def replayed(services: Services, subject: UUID, position: int, as_of: datetime) -> Any:
    positions = services.positions.of(subject)
    version = max(v for v, p in positions.items() if p <= position)
    return subject_document(services.ledger.subject(subject, version), as_of)


@pytest.mark.parametrize("make", [rich_subject, odd_subject])
def test_a_subject_from_the_views_is_the_subject_replayed(
    services: Services, clock: FakeClock, make: Any
) -> None:
    subject = make(services, clock)
    services.reader.point()  # the views reach the end of the log
    positions = services.positions.of(subject)
    composed = 0
    for position in sorted(positions.values()):
        for as_of in READ_TIMES:
            point = ReadPoint(as_of, f"position:{position}", position)
            document, version = services.reader.subject(subject, point)
            expected = replayed(services, subject, position, as_of)
            # No links here: the subject is in no cluster (tests/api/test_links.py).
            assert document == {**expected, **point.describe(), "cluster": None}
            assert version == expected["version"]
            composed += services.reader.subject_views.document(subject, as_of, position) is not None
    # The views answered most of these themselves; the rest were replayed.
    assert composed > 0


def test_the_views_leave_to_a_replay_what_they_cannot_tell(
    services: Services, clock: FakeClock
) -> None:
    rich, odd = rich_subject(services, clock), odd_subject(services, clock)
    last = services.reader.point().position
    views = services.reader.subject_views
    assert views.document(rich, at("2024-01-01"), last) is None  # a voided event
    assert views.document(odd, at("2024-01-01"), last) is None  # a measure never in force
    # Before the measure amendment, every measure reads from its rows, in force or not.
    before_amending = services.positions.of(rich)[7]
    assert views.document(rich, at("2022-07-01"), before_amending) is not None
    after_amending = services.positions.of(rich)[8]
    assert views.document(rich, at("2022-07-01"), after_amending) is None  # one is expired
    # Before its first profile change the earliest recorded profile holds, which no row
    # keeps: with two changes at that time, every read is replayed.
    second = services.positions.of(odd)[2]
    assert views.document(odd, at("2020-01-01"), second) is None
    first = services.positions.of(odd)[1]
    assert views.document(odd, at("2020-01-01"), first) is not None


def test_a_subject_read_over_http_is_its_replayed_document(
    client: TestClient, services: Services, clock: FakeClock
) -> None:
    subject = rich_subject(services, clock)
    other = odd_subject(services, clock)
    for sid in (subject, other):
        for as_of in ("2021-06-01", "2022-07-01", "2031-01-01"):
            answer = client.get(f"/v1/subjects/{sid}", params={"as_of": as_of})
            assert answer.status_code == 200
            body = answer.json()
            expected = subject_document(services.ledger.subject(sid), at(as_of))
            assert {k: body[k] for k in expected} == expected
            assert answer.headers["ETag"] == f'"{expected["version"]}"'
            assert body["known_at"] == "now"
            assert answer.headers["content-type"] == "application/json"


def declared(model: type[BaseModel], body: Any) -> Any:
    return model.model_validate(body).model_dump(mode="json")


def test_every_answer_written_directly_is_what_its_model_makes_of_it(
    client: TestClient, services: Services, clock: FakeClock
) -> None:
    subject = rich_subject(services, clock)
    odd_subject(services, clock)
    answers: list[tuple[type[BaseModel], str, dict[str, Any]]] = [
        (SubjectOut, f"/v1/subjects/{subject}", {"as_of": "2022-07-01"}),
        (SubjectOut, f"/v1/subjects/{subject}", {"version": 3}),
        (HistoryOut, f"/v1/subjects/{subject}/history", {}),
        (MeasurePage, "/v1/measures", {"as_of": "2021-06-01"}),
        (MeasurePage, "/v1/measures", {"as_of": "2022-07-01", "limit": 1}),
        (SubjectPage, "/v1/subjects", {"as_of": "2022-07-01"}),
        (SubjectPage, "/v1/subjects", {"limit": 1}),
        (ChangePage, "/v1/changes", {"since": "position:0"}),
        (ChangePage, "/v1/changes", {"effective_since": "2020-01-01"}),
        (EventPage, "/v1/events", {"limit": 3}),
    ]
    for model, path, params in answers:
        answer = client.get(path, params=params)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.json() == declared(model, answer.json()), path


def test_a_page_read_with_its_cursor_continues_the_same_list(
    client: TestClient, services: Services, clock: FakeClock
) -> None:
    rich_subject(services, clock)
    odd_subject(services, clock)
    for path in ("/v1/measures", "/v1/subjects"):
        whole = client.get(path, params={"as_of": "2022-07-01"}).json()
        items: list[Any] = []
        params: dict[str, str | int] = {"as_of": "2022-07-01", "limit": 1}
        while True:
            page = client.get(path, params=params).json()
            items.extend(page["items"])
            if page["next_cursor"] is None:
                break
            params = {"cursor": page["next_cursor"], "limit": 1}
        assert items == whole["items"]
        assert len(items) >= 2


def _calls(dependant: Any) -> list[Any]:
    found = [dependant.call]
    for dependency in dependant.dependencies:
        found.extend(_calls(dependency))
    return found


def _is_coroutine(call: Any) -> bool:
    method = None if inspect.isfunction(call) else type(call).__call__
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(method)


def test_reads_and_writes_run_on_the_event_loop_but_for_one_blocking_call() -> None:
    """FastAPI runs every plain-function endpoint and dependency in a worker thread of its
    own: the ledger's reads and writes are coroutines, each making one worker-thread call
    for all of its blocking work. (The caller's key is the access policy's concern.)"""
    app = create_app(Settings(database_url="memory://"))
    routes: list[Any] = [
        context.original_route
        for context in api_routes(app)
        if (context.path or "").startswith("/v1/")
        and not (context.path or "").startswith("/v1/keys")
    ]
    assert len(routes) > 10
    for route in routes:
        for call in _calls(route.dependant):
            if getattr(call, "__module__", "") == "api.auth" or isinstance(call, Policy):
                continue
            assert _is_coroutine(call), (route, call)


def test_a_read_at_now_answers_in_one_transaction_only_where_the_views_reached_the_end(
    services: Services, clock: FakeClock
) -> None:
    subject = rich_subject(services, clock)
    as_of = at("2022-07-01")
    # Written, not yet projected: the general way (which brings the views up to date).
    assert services.reader.subject_now(subject, as_of) is None
    point = services.reader.point(as_of)
    assert services.reader.subject_now(subject, as_of) is None  # a voided event: replayed
    assert services.reader.subject(subject, point)[1] == 9
    other = odd_subject(services, clock)
    services.reader.point()
    assert services.reader.subject_now(other, as_of) is None
    plain = run(
        services,
        clock,
        RegisterSubject(
            kind=SubjectKind.VESSEL,
            profile=Profile((Name("A VESSEL"),)),
            effective_at=at("2021-01-01"),
            citation=CITED,
        ),
    )
    run(services, clock, impose(plain, MeasureKind.DESIGNATION, "2021-06-01"))
    now = services.reader.point(as_of)
    answered = services.reader.subject_now(plain, as_of)
    assert answered == services.reader.subject(plain, now)
    assert answered is not None and answered[0]["position"] == now.position
    last = services.ledger.last_position()
    assert services.reader.subject_now(plain, as_of, min_position=last + 1) is None
    # Kept rows serve the subject while only others change, and never once it changed.
    run(services, clock, impose(other, MeasureKind.VISA_BAN, "2021-06-01"))
    services.reader.point()
    later = services.reader.subject_now(plain, as_of)
    assert later is not None and later[0]["position"] > now.position
    assert {**later[0], "position": 0} == {**answered[0], "position": 0}
    run(services, clock, impose(plain, MeasureKind.VISA_BAN, "2021-06-01"))
    services.reader.point()
    changed = services.reader.subject_now(plain, as_of)
    assert changed is not None and changed[1] == 3
    assert [m["kind"] for m in changed[0]["measures"]] == ["designation", "visa_ban"]
