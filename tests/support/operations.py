"""Random operator commands on one subject, for property tests, and how to run them.

Dates come from a narrow window so that overlaps, backdated rescissions and amendments after
an end happen often; measure numbers and versions are drawn past what exists, so that commands
naming nothing are tried too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from application.commands import (
    AmendMeasure,
    AmendProfile,
    Citation,
    Command,
    ImposeMeasure,
    RescindMeasure,
    VoidEvent,
)
from domain.values import Authority, MeasureKind, Name, Profile, Source

ORIGIN = datetime(2022, 1, 1, tzinfo=UTC)
SOURCE = Source(Authority.US_OFAC, "property test")
PROGRAMS = ("GLOMAG", "DPRK3", "BURMA")
KINDS = (MeasureKind.DESIGNATION, MeasureKind.VISA_BAN, MeasureKind.INVESTMENT_RESTRICTION)
AUTHORITIES = (Authority.US_OFAC, Authority.UK)


def day(offset: int) -> datetime:
    return ORIGIN + timedelta(days=offset)


days = st.integers(min_value=0, max_value=40)
programs = st.lists(st.sampled_from(PROGRAMS), min_size=1, max_size=2, unique=True)


@dataclass(frozen=True)
class Op:
    kind: str
    args: dict[str, Any]


def impose_ops() -> st.SearchStrategy[Op]:
    return st.builds(
        lambda kind, authority, progs, start, length: Op(
            "impose",
            {
                "kind": kind,
                "authority": authority,
                "programs": tuple(progs),
                "start": day(start),
                "until": None if length is None else day(start + length),
            },
        ),
        st.sampled_from(KINDS),
        st.sampled_from(AUTHORITIES),
        programs,
        days,
        st.one_of(st.none(), st.integers(min_value=-2, max_value=25)),
    )


def ops() -> st.SearchStrategy[Op]:
    number = st.integers(min_value=1, max_value=3)
    return st.one_of(
        impose_ops(),
        impose_ops(),
        st.builds(
            lambda n, progs, at, until: Op(
                "amend",
                {
                    "number": n,
                    "programs": tuple(progs),
                    "effective_at": day(at),
                    "until": None if until is None else day(until),
                },
            ),
            number,
            programs,
            days,
            st.one_of(st.none(), days),
        ),
        st.builds(
            lambda n, at: Op("rescind", {"number": n, "effective_at": day(at)}), number, days
        ),
        st.builds(lambda v: Op("void", {"target": v}), st.integers(min_value=1, max_value=8)),
        st.builds(
            lambda name, at: Op("profile", {"name": name, "effective_at": day(at)}),
            st.sampled_from(["ALPHA", "BRAVO", "CHARLIE"]),
            days,
        ),
    )


def command_for(op: Op, subject_id: UUID) -> Command:
    citation = Citation(source=SOURCE, reason="property test")
    a = op.args
    if op.kind == "impose":
        return ImposeMeasure(
            subject=subject_id,
            kind=a["kind"],
            authority=a["authority"],
            programs=a["programs"],
            effective_from=a["start"],
            effective_until=a["until"],
            covers_family=a["kind"] == MeasureKind.VISA_BAN,
            citation=citation,
        )
    if op.kind == "amend":
        return AmendMeasure(
            measure_id=f"{subject_id}.{a['number']}",
            effective_at=a["effective_at"],
            programs=a["programs"],
            effective_until=a["until"],
            clear_effective_until=a["until"] is None,
            citation=citation,
        )
    if op.kind == "rescind":
        return RescindMeasure(
            measure_id=f"{subject_id}.{a['number']}",
            effective_at=a["effective_at"],
            citation=citation,
        )
    if op.kind == "void":
        return VoidEvent(event_id=f"{subject_id}@{a['target']}", citation=citation)
    return AmendProfile(
        subject=subject_id,
        profile=Profile((Name(a["name"]),)),
        effective_at=a["effective_at"],
        citation=citation,
    )


def model_data(op: Op, measure_count: int) -> dict[str, Any]:
    """The op's data as the naive model takes it (impositions get their next number)."""
    a = dict(op.args)
    if op.kind == "impose":
        a["number"] = measure_count + 1
        a["covers_family"] = a["kind"] == MeasureKind.VISA_BAN
        a["kind"] = str(a["kind"])
        a["authority"] = str(a["authority"])
    return a
