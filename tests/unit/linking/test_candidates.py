"""Finding the pairs worth weighing through screening's names index, and deciding them.

Candidates come from the other side only (another authority, a compatible kind, a profile
holding at the read point); a number found on both sides makes a candidate whatever the names,
unless the numbers are hidden. The automatic rule names itself and its threshold, carries the
suggestion's reasons into the decision, and never joins a cluster twice.
"""

from __future__ import annotations

from application.linking.accept import _Joined, evidence_of, rule_actor
from application.linking.candidates import Candidates, Side, may_pair
from application.linking.evidence import LinkProfile, weigh
from application.linking.suggest import Suggestion
from application.screening.index import NamesIndex
from application.screening.model import ProfileRecord

BEGINNING = "0000-01-01T00:00:00.000000Z"
NOW = "2026-01-01T00:00:00.000000Z"


def profile(
    subject_id: str,
    authority: str,
    *names: str,
    kind: str = "person",
    identifiers: tuple[tuple[str, str], ...] = (),
    rec_from: int = 1,
) -> tuple[LinkProfile, ProfileRecord]:
    typed = tuple((name, "primary" if i == 0 else "aka") for i, name in enumerate(names))
    linked = LinkProfile(subject_id, kind, (authority,), typed, identifiers=identifiers)
    record = ProfileRecord(
        key=(subject_id, BEGINNING, rec_from),
        subject_id=subject_id,
        kind=kind,
        names=typed,
        birth_dates=(),
        countries=(),
        identifiers=identifiers,
        eff_from=BEGINNING,
        eff_to=None,
        rec_from=rec_from,
        rec_to=None,
    )
    return linked, record


SUBJECTS = [
    profile("ofac-soin", "US-OFAC", "SOIN, Dmitriy Yurevich"),
    profile("ofac-justo", "US-OFAC", "SOIN INSTITUTE", kind="organization"),
    profile("ofac-late", "US-OFAC", "Dmitri SOIN", rec_from=9),
    profile("un-soin", "UN-SC", "DMITRY SOIN", identifiers=(("passport", "AB 12345"),)),
    profile("un-other", "UN-SC", "DMITRII SOIN"),
    profile("uk-renamed", "UK", "ZHANG WEI", identifiers=(("passport", "ab-12345"),)),
]


def candidates(position: int = 5) -> tuple[Candidates, dict[str, LinkProfile]]:
    index = NamesIndex()
    for _, record in SUBJECTS:
        index.put(record)
    profiles = {linked.subject_id: linked for linked, _ in SUBJECTS}
    return Candidates(index, profiles, NOW, position), profiles


def test_candidates_come_from_the_other_side_only() -> None:
    found, profiles = candidates()
    of_un = found.of(profiles["un-soin"], Side("US-OFAC"), hide_identifiers=True)
    assert list(of_un) == ["ofac-soin"], "not its own list, not a company, not recorded later"
    match = of_un["ofac-soin"]
    assert match is not None and match[2:] == ("DMITRY SOIN", "SOIN, Dmitriy Yurevich")
    assert set(found.of(profiles["un-soin"], Side(None), hide_identifiers=True)) == {"ofac-soin"}


def test_a_shared_number_finds_a_candidate_unless_hidden() -> None:
    found, profiles = candidates()
    visible = found.of(profiles["un-soin"], Side("UK"), hide_identifiers=False)
    assert visible == {"uk-renamed": None}, "found by its passport alone"
    assert found.of(profiles["un-soin"], Side("UK"), hide_identifiers=True) == {}


def test_what_may_pair() -> None:
    _, profiles = candidates()
    assert may_pair(profiles["un-soin"], profiles["ofac-soin"])
    assert not may_pair(profiles["un-soin"], profiles["un-other"]), "one authority"
    assert not may_pair(profiles["un-soin"], profiles["ofac-justo"]), "a person and a company"
    assert not may_pair(profiles["un-soin"], profiles["un-soin"])


def test_the_rule_names_itself_and_carries_the_reasons() -> None:
    actor = rule_actor(0.95)
    assert actor.id == "rule:links-auto@0.95"
    _, profiles = candidates()
    found = weigh(profiles["un-soin"], profiles["uk-renamed"])
    evidence = evidence_of(Suggestion(profiles["un-soin"], profiles["uk-renamed"], found))
    assert [(i.kind, i.value) for i in evidence.identifiers] == [("passport", "AB12345")]
    assert evidence.score == found.score
    assert evidence.notes is not None and "identifier 1" in evidence.notes


def test_a_run_joins_each_cluster_once() -> None:
    joined = _Joined()
    joined.join("a", "b")
    joined.join("c", "b")
    assert joined.same("a", "c")
    assert not joined.same("a", "d")
