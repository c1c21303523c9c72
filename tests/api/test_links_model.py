"""Clusters at many points in both times, against a naive fold of the link decisions.

Random links, unlinkings and rejections over four subjects, with random effective days
(backdated ones included, which the ledger refuses when they precede the pair's previous
decision), are recorded at increasing times. The naive model says which are refused and,
for any (as_of, known_at), which pairs are linked: for each pair, among the decisions known
at the position, the last one taking effect at or before as_of. Its clusters (connected
components, named "cl_" + the smallest member) must be what every subject read answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.main import create_app
from application.bootstrap import Services, bootstrap
from application.commands import (
    Citation,
    Command,
    LinkSubjects,
    RegisterSubject,
    RejectLink,
    UnlinkSubjects,
)
from application.settings import Settings
from domain.errors import LedgerError
from domain.link import LINKED, REJECTED, UNLINKED, Link
from domain.values import Actor, Name, Profile, SubjectKind
from tests.support.clock import FakeClock
from tests.support.depth import examples
from tests.support.keys import bearer, issue
from tests.support.operations import day

ACTOR = Actor("tester", "link model test")
SLOW = pytest.mark.slow
"""The views' SQL is the same on every store: the file stores run with the slow tests."""
SUBJECTS = 4
Step = tuple[str, int, int]
"""A decision, the pair it is about (an index into the pairs), its effective day."""


@dataclass(frozen=True)
class Decision:
    pair: frozenset[str]
    status: str
    effective_at: datetime
    position: int


class NaiveLinks:
    """The decisions as facts, and the rules and clusters folded straight from them."""

    def __init__(self) -> None:
        self.facts: list[Decision] = []

    def refuses(self, pair: frozenset[str], status: str, effective_at: datetime) -> bool:
        known = [f for f in self.facts if f.pair == pair]
        if not known:
            return status == UNLINKED
        last = known[-1]
        return (
            effective_at < last.effective_at
            or (status == LINKED and last.status == LINKED)
            or (status == UNLINKED and last.status != LINKED)
            or (status == REJECTED and last.status in (LINKED, REJECTED))
        )

    def clusters(self, as_of: datetime, position: int) -> dict[str, str]:
        holding: dict[frozenset[str], str] = {}
        for fact in self.facts:
            if fact.position <= position and fact.effective_at <= as_of:
                holding[fact.pair] = fact.status
        parent: dict[str, str] = {}

        def root(node: str) -> str:
            while parent.setdefault(node, node) != node:
                node = parent[node]
            return node

        for pair, status in holding.items():
            if status == LINKED:
                first, second = sorted(root(s) for s in pair)
                parent[second] = first
        return {node: "cl_" + root(node) for node in parent}


def command_for(status: str, pair: tuple[UUID, UUID], effective_at: datetime) -> Command:
    why = Citation(reason=f"{status} by the model test", confirm_unusual_dates=True)
    if status == LINKED:
        return LinkSubjects(pair, effective_from=effective_at, citation=why)
    if status == UNLINKED:
        return UnlinkSubjects(Link.id_for(*pair), effective_at, citation=why)
    return RejectLink(pair, effective_at=effective_at, citation=why)


@pytest.mark.parametrize(
    "store_kind",
    ["memory", pytest.param("sqlite", marks=SLOW), pytest.param("postgres", marks=SLOW)],
)
@settings(
    max_examples=examples(quick=3, deep=12),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    script=st.lists(
        st.tuples(
            st.sampled_from([LINKED, UNLINKED, REJECTED]),
            st.integers(0, SUBJECTS * (SUBJECTS - 1) // 2 - 1),
            st.integers(0, 12),
        ),
        min_size=4,
        max_size=12,
    ),
    as_of_days=st.lists(st.integers(-1, 14), min_size=2, max_size=3),
)
def test_clusters_at_any_point_equal_a_naive_fold(
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


def check_against_model(
    client: TestClient,
    services: Services,
    clock: FakeClock,
    script: list[Step],
    as_of_days: list[int],
) -> None:
    ledger = services.ledger
    profile = Profile((Name("P"),))
    subjects = [
        ledger.execute(RegisterSubject(SubjectKind.PERSON, profile), ACTOR).subject_ids[0]
        for _ in range(SUBJECTS)
    ]
    registered_at = ledger.last_position()
    pairs = list(combinations(subjects, 2))
    model = NaiveLinks()
    for status, index, effective_day in script:
        clock.advance(hours=1)
        pair, effective_at = pairs[index], day(effective_day)
        key = frozenset(str(s) for s in pair)
        expected_refusal = model.refuses(key, status, effective_at)
        try:
            receipt = ledger.execute(command_for(status, pair, effective_at), ACTOR)
        except LedgerError:
            assert expected_refusal, (status, effective_day)
            continue
        assert not expected_refusal, (status, effective_day)
        assert receipt.position is not None
        model.facts.append(Decision(key, status, effective_at, receipt.position))

    positions = sorted({registered_at, *(f.position for f in model.facts)})
    for offset in as_of_days:
        as_of = day(offset) + timedelta(hours=12)
        for position in positions:
            expected = model.clusters(as_of, position)
            for subject in subjects:
                params = {"as_of": as_of.isoformat(), "known_at": f"position:{position}"}
                read = client.get(f"/v1/subjects/{subject}", params=params)
                assert read.status_code == 200, read.text
                cluster = read.json()["cluster"]
                found = None if cluster is None else cluster["cluster_id"]
                assert found == expected.get(str(subject)), (as_of, position, subject)
