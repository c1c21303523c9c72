"""The list of measures in force, for many points in both times, against a naive fold.

Random designations, visa bans, investment restrictions, rescissions (backdated ones
included), amendments, profile changes and voidings over several subjects are recorded at
increasing times, alone or several at once as one action. Then, for many (as_of, known_at)
pairs, the API's answer must equal the one the naive reference model folds directly from the
facts, knowing nothing of the views. An action is recorded all or nothing, so it is known all
or nothing: a read at any position inside one answers as of the end of the write before it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.commands import Citation, Command, RecordAction, RegisterSubject
from application.receipts import RecordedEvent
from application.settings import Settings
from domain.errors import LedgerError
from domain.values import Actor, Authority, MeasureKind, Name, Profile, SubjectKind
from tests.support.clock import FakeClock
from tests.support.depth import examples
from tests.support.keys import bearer, issue
from tests.support.model import Fact, NaiveLedger
from tests.support.operations import ORIGIN, SOURCE, Op, command_for, day, model_data, ops

ACTOR = Actor("tester", "model test")
CITATION = Citation(source=SOURCE)
SUBJECTS = 3
ACTION_SIZE = 4
Step = tuple[int, Op, bool]
"""A subject, an operation on it, and whether it joins the previous step's action."""
Planned = tuple[str, Op, dict[str, Any], Command]
"""A step of one write: its subject's id, the operation, the model's data and the command."""
Paired = tuple[Planned, RecordedEvent]


def designation(*programs: str) -> Op:
    """A designation by OFAC from the origin, open-ended."""
    return Op(
        "impose",
        {
            "kind": MeasureKind.DESIGNATION,
            "authority": Authority.US_OFAC,
            "programs": programs,
            "start": ORIGIN,
            "until": None,
        },
    )


INTERLEAVED_ACTION_THEN_A_VOIDING: list[Step] = [
    (0, designation("GLOMAG", "DPRK3"), False),
    (0, Op("profile", {"name": "ALPHA", "effective_at": ORIGIN}), False),
    (0, designation("GLOMAG"), False),  # refused: measure 1 already covers GLOMAG
    (0, Op("rescind", {"number": 1, "effective_at": ORIGIN}), False),
    (1, designation("DPRK3"), False),  # one action: S1, S0, then S1 again
    (0, designation("GLOMAG"), True),
    (1, designation("GLOMAG"), True),
    (0, Op("void", {"target": 3}), False),  # S0's profile, not its second measure
]
"""An action that goes back to a subject it left, then a voiding of one subject's version 3:
the receipt lists the action's events subject by subject, not in the order of its commands."""


def measures_in_force(client: TestClient, as_of: datetime, known_at: str) -> dict[str, Any]:
    """Every page of /v1/measures for one point, as {measure id: (programs, name)}."""
    found: dict[str, Any] = {}
    params: dict[str, Any] = {"as_of": as_of.isoformat(), "known_at": known_at, "limit": 7}
    while True:
        response = client.get("/v1/measures", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        for item in body["items"]:
            found[item["measure_id"]] = (tuple(item["programs"]), item["primary_name"])
        if body["next_cursor"] is None:
            return found
        params = {"cursor": body["next_cursor"], "limit": 7}


@pytest.mark.slow_on_postgres
@settings(
    max_examples=examples(quick=6, deep=12),
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(script=INTERLEAVED_ACTION_THEN_A_VOIDING, as_of_days=[0, 0, 0, 0])
@given(
    script=st.lists(
        st.tuples(st.integers(0, SUBJECTS - 1), ops(), st.booleans()), min_size=5, max_size=30
    ),
    as_of_days=st.lists(st.integers(-5, 70), min_size=4, max_size=8),
)
def test_the_list_as_of_any_point_equals_a_naive_fold(
    new_database_url: Callable[[], str], script: list[Step], as_of_days: list[int]
) -> None:
    clock = FakeClock()
    services = bootstrap(Settings(database_url=new_database_url()), clock=clock)
    try:
        reader = bearer(issue(services, "reader"))
        with TestClient(create_app(services=services), headers=reader) as client:
            check_against_model(client, services, clock, script, as_of_days)
    finally:
        services.close()


def actions(script: list[Step]) -> list[list[tuple[int, Op]]]:
    """The script cut into writes: a step that joins the one before shares its action."""
    writes: list[list[tuple[int, Op]]] = []
    for index, op, joins in script:
        if joins and writes and len(writes[-1]) < ACTION_SIZE:
            writes[-1].append((index, op))
        else:
            writes.append([(index, op)])
    return writes


def paired(planned: list[Planned], events: tuple[RecordedEvent, ...]) -> list[Paired]:
    """Each planned command with the event that recorded it.

    An action's events are stored subject by subject (each subject's in the order of its
    commands), and the receipt lists them as stored: when an action goes back to a subject
    it left, the receipt's order is not the commands' order. Only the order within one
    subject is the commands' own, so each command takes the next event of its subject."""
    waiting: dict[str, deque[RecordedEvent]] = {}
    for event in events:
        waiting.setdefault(str(event.subject_id), deque()).append(event)
    return [(step, waiting[step[0]].popleft()) for step in planned]


def check_against_model(
    client: TestClient,
    services: Services,
    clock: FakeClock,
    script: list[Step],
    as_of_days: list[int],
) -> None:
    ledger = services.ledger
    model = NaiveLedger()
    subjects = []
    counts: dict[str, int] = {}
    for index in range(SUBJECTS):
        clock.advance(hours=1)
        receipt = ledger.execute(
            RegisterSubject(
                kind=SubjectKind.PERSON,
                profile=Profile((Name(f"S{index}"),)),
                effective_at=ORIGIN,
                citation=Citation(source=SOURCE),
            ),
            ACTOR,
        )
        sid = receipt.subject_ids[0]
        subjects.append(sid)
        counts[str(sid)] = 0
        model.add(
            Fact(
                str(sid),
                1,
                receipt.events[0].position,
                "register",
                {"name": f"S{index}", "effective_at": ORIGIN},
            )
        )
    recorded_times: list[tuple[datetime, int]] = []
    for write in actions(script):
        clock.advance(hours=1)
        planned: list[Planned] = []
        trial = dict(counts)
        for index, op in write:
            sid = subjects[index]
            planned.append((str(sid), op, model_data(op, trial[str(sid)]), command_for(op, sid)))
            trial[str(sid)] += op.kind == "impose"
        commands = tuple(command for *_, command in planned)
        try:
            receipt = ledger.execute(
                commands[0] if len(commands) == 1 else RecordAction(commands, CITATION), ACTOR
            )
        except LedgerError:
            continue
        counts = trial
        assert len(receipt.events) == len(planned)
        for (sid_text, op, data, _), event in paired(planned, receipt.events):
            model.add(Fact(sid_text, event.version, event.position, op.kind, data))
        model.commit([event.position for event in receipt.events])
        recorded_times.append((clock.now, max(e.position for e in receipt.events)))

    last = max(f.position for f in model.facts)
    inside_actions = [p for first, end in model.commits for p in range(first, end)]
    positions = sorted(
        {
            0,
            last,
            *(f.position for f in model.facts[:: max(1, len(model.facts) // 6)]),
            *inside_actions[:: max(1, len(inside_actions) // 6)],
        }
    )
    for offset in as_of_days:
        as_of = day(offset) + timedelta(hours=offset % 24)
        for position in positions:
            expected = model.in_force(as_of, model.known_after_whole_writes(position))
            assert measures_in_force(client, as_of, f"position:{position}") == expected, (
                as_of,
                position,
            )
        for moment, position in recorded_times[:: max(1, len(recorded_times) // 3)]:
            expected = model.in_force(as_of, position)
            assert measures_in_force(client, as_of, moment.isoformat()) == expected, (as_of, moment)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert measures_in_force(client, day(20), now.isoformat()) == model.in_force(day(20), last)
