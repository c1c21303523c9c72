"""The names index and its scorer: who a query may be, found without scoring every name.

The scorer is checked on the spellings lists actually use; the index on what it must do besides
(identifiers, visibility, replaced rows, one hit per subject) and against ``brute_force``, which
scores every name with the same scorer: blocking may only save work, not change the best answer.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest
from faker import Faker

from application.screening import index as index_module
from application.screening.index import CANDIDATE_CAP, NamesIndex
from application.screening.model import Hit, ProfileRecord, Query
from application.screening.normalize import name_tokens
from application.screening.scoring import score

BEGINNING = "0000-01-01T00:00:00.000000Z"


def record(
    subject_id: str,
    *names: str,
    kind: str = "person",
    birth_dates: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    identifiers: tuple[tuple[str, str], ...] = (),
    eff_from: str = BEGINNING,
    rec_from: int = 1,
    rec_to: int | None = None,
) -> ProfileRecord:
    typed = tuple((name, "primary" if i == 0 else "alias") for i, name in enumerate(names))
    return ProfileRecord(
        key=(subject_id, eff_from, rec_from),
        subject_id=subject_id,
        kind=kind,
        names=typed,
        birth_dates=birth_dates,
        countries=countries,
        identifiers=identifiers,
        eff_from=eff_from,
        eff_to=None,
        rec_from=rec_from,
        rec_to=rec_to,
    )


def name_score(asked: str, recorded: str, kind: str = "person", **query: Any) -> Hit:
    q = Query(name=asked, **query)
    r = record("s1", recorded, kind=kind)
    return score(q, name_tokens(asked, q.kind), r, recorded, "primary", name_tokens(recorded, kind))


def everything(_: ProfileRecord) -> bool:
    return True


# --- scoring ----------------------------------------------------------------------------


def test_reordered_and_respelled_names_score_high() -> None:
    assert name_score("Dmitry Yurevich Soin", "SOIN, Dmitriy Yurevich").score >= 0.9
    assert name_score("Dmitry Yurevich Soin", "SOYIN, Dmitriy Yuryevich").score >= 0.9


def test_cyrillic_against_latin_scores_high() -> None:
    assert name_score("Dmitry Yurevich Soin", "СОИН Дмитрий Юрьевич").score >= 0.9


def test_word_order_does_not_matter() -> None:
    forward = name_score("Ivan Sergeyevich Petrov", "Petrov Ivan Sergeyevich")
    assert forward.score == 1.0


def test_legal_forms_and_honorifics_do_not_count() -> None:
    assert name_score("Rosneft", "ROSNEFT OOO", kind="organization").score == 1.0
    assert name_score("Mr Ivan Petrov", "General Ivan Petrov").score == 1.0


def test_a_typo_costs_little() -> None:
    hit = name_score("Jonh Smith", "John Smith")
    assert 0.8 <= hit.score < 1.0


def test_a_missing_middle_name_keeps_a_fair_score() -> None:
    assert 0.7 <= name_score("Dmitry Soin", "Soin Dmitry Yurevich").score < 0.9


def test_an_unrelated_name_scores_low() -> None:
    assert name_score("Dmitry Yurevich Soin", "Maria Gonzalez Garcia").score < 0.5
    assert name_score("John Smith", "Rosneft", kind="organization").score < 0.5


def test_name_features_are_reported() -> None:
    hit = name_score("Jonh Smith", "John Smith")
    assert set(hit.features) == {"name_similarity", "token_overlap"}
    assert hit.features["token_overlap"] == 0.5
    assert hit.matched_name == "John Smith"
    assert hit.name_type == "primary"


def scored_with(query: Query, recorded: ProfileRecord) -> Hit:
    name = recorded.names[0][0]
    tokens = name_tokens(query.name or "", query.kind)
    return score(query, tokens, recorded, name, "primary", name_tokens(name, recorded.kind))


def test_birth_dates_raise_or_lower_the_score() -> None:
    recorded = record("s1", "John Smith", birth_dates=("1970-05-02",))
    plain = scored_with(Query(name="Jonh Smith"), recorded)
    same = scored_with(Query(name="Jonh Smith", birth_dates=("1970-05-02",)), recorded)
    year = scored_with(Query(name="Jonh Smith", birth_dates=("1970",)), recorded)
    other = scored_with(Query(name="Jonh Smith", birth_dates=("1981-01-01",)), recorded)
    assert same.features["birth_date"] == 1.0
    assert year.features["birth_date"] == 0.75
    assert other.features["birth_date"] == 0.0
    assert "birth_date" not in plain.features
    assert other.score < plain.score < year.score < same.score
    perfect = scored_with(Query(name="John Smith", birth_dates=("1981",)), recorded)
    assert perfect.score == 0.75


def test_countries_raise_or_lower_the_score() -> None:
    recorded = record("s1", "John Smith", countries=("RU",))
    plain = scored_with(Query(name="Jonh Smith"), recorded)
    same = scored_with(Query(name="Jonh Smith", countries=("ru",)), recorded)
    other = scored_with(Query(name="Jonh Smith", countries=("FR",)), recorded)
    assert same.features["country"] == 1.0
    assert other.features["country"] == 0.0
    assert other.score < plain.score < same.score


def test_an_equal_identifier_scores_one_whatever_the_name() -> None:
    recorded = record("s1", "John Smith", identifiers=(("passport", "AB 123-456"),))
    hit = scored_with(Query(name="Maria Garcia", identifiers=("ab123456",)), recorded)
    assert hit.score == 1.0
    assert hit.features["identifier"] == 1.0


# --- the index --------------------------------------------------------------------------


@pytest.fixture
def names_index() -> NamesIndex:
    idx = NamesIndex()
    idx.put(record("soin", "SOIN, Dmitriy Yurevich", "СОИН Дмитрий Юрьевич"))
    idx.put(record("rosneft", "ROSNEFT OOO", kind="organization"))
    idx.put(record("smith", "John Smith", identifiers=(("passport", "AB 123-456"),)))
    idx.put(record("smyth", "Joan Smyth"))
    idx.put(record("garcia", "Maria Gonzalez Garcia"))
    return idx


def test_len_counts_names(names_index: NamesIndex) -> None:
    assert len(names_index) == 6


def test_screen_finds_the_respelled_name(names_index: NamesIndex) -> None:
    hits = names_index.screen(Query(name="Dmitry Soyin Yuryevich"), everything, 5, 0.7)
    assert [h.subject_id for h in hits] == ["soin"]
    assert hits[0].score >= 0.9


def test_screen_gives_one_hit_per_subject(names_index: NamesIndex) -> None:
    names_index.put(record("soin", "Dmitry Soin", eff_from="2020-01-01T00:00:00.000000Z"))
    hits = names_index.screen(Query(name="Dmitry Yurevich Soin"), everything, 5, 0.5)
    assert [h.subject_id for h in hits] == ["soin"]
    assert hits[0].score == 1.0


def test_screen_orders_by_score_and_applies_limit_and_threshold(names_index: NamesIndex) -> None:
    hits = names_index.screen(Query(name="John Smith"), everything, 5, 0.5)
    assert [h.subject_id for h in hits] == ["smith", "smyth"]
    assert hits[0].score > hits[1].score
    assert len(names_index.screen(Query(name="John Smith"), everything, 1, 0.5)) == 1
    assert names_index.screen(Query(name="John Smith"), everything, 5, 1.01) == []


def test_screen_finds_an_identifier_whatever_the_name(names_index: NamesIndex) -> None:
    for query in (
        Query(name="Maria Gonzalez", identifiers=("ab-123456",)),
        Query(identifiers=("AB123456",)),
    ):
        hits = names_index.screen(query, everything, 5, 0.9)
        assert [h.subject_id for h in hits] == ["smith"]
        assert hits[0].score == 1.0
        assert hits[0].features["identifier"] == 1.0


def test_a_query_without_a_name_or_identifier_finds_nothing(names_index: NamesIndex) -> None:
    assert names_index.screen(Query(countries=("RU",)), everything, 5, 0.0) == []


def test_screen_keeps_to_the_kind_asked(names_index: NamesIndex) -> None:
    assert names_index.screen(Query(name="Rosneft", kind="person"), everything, 5, 0.5) == []
    hits = names_index.screen(Query(name="Rosneft", kind="organization"), everything, 5, 0.5)
    assert [h.subject_id for h in hits] == ["rosneft"]


def test_screen_sees_only_visible_records(names_index: NamesIndex) -> None:
    def hides_smith(r: ProfileRecord) -> bool:
        return r.subject_id != "smith"

    hits = names_index.screen(Query(name="John Smith"), hides_smith, 5, 0.5)
    assert [h.subject_id for h in hits] == ["smyth"]
    by_id = names_index.screen(Query(identifiers=("AB123456",)), hides_smith, 5, 0.5)
    assert by_id == []


def at(position: int) -> Callable[[ProfileRecord], bool]:
    return lambda r: r.holds_at("2030-01-01T00:00:00.000000Z", position)


def test_names_the_caller_cannot_see_do_not_push_out_those_it_can() -> None:
    """A closed row, or a name since removed, that is the query word for word outweighs any
    other name; the names visible at the read point must still be found."""
    index = NamesIndex()
    index.put(record("old", "Zorblax Quintavius Mephistor", rec_to=5))
    index.put(record("dead", "Zorblax Quintavius Mephistor", "Zorblax Ombrage"))
    index.put(record("dead", "Zorblax Ombrage"))
    index.put(record("live", "Zorblax Pettigrew Hollings"))
    query = Query(name="Zorblax Quintavius Mephistor")
    found = index.screen(query, at(6), 5, 0.0)
    assert [hit.subject_id for hit in found] == [
        hit.subject_id for hit in index.brute_force(query, at(6), 5, 0.0)
    ]
    assert {hit.subject_id for hit in found} == {"dead", "live"}


def test_put_with_the_same_key_replaces_the_row(names_index: NamesIndex) -> None:
    names_index.put(record("smyth", "Joan Smyth", rec_to=5))
    assert len(names_index) == 6
    query = Query(name="Joan Smyth")
    assert [h.subject_id for h in names_index.screen(query, at(3), 5, 0.9)] == ["smyth"]
    assert names_index.screen(query, at(6), 5, 0.9) == []


def test_put_replacing_the_names_forgets_the_old_ones(names_index: NamesIndex) -> None:
    names_index.put(record("smyth", "Joanna Smythe-Browne", "J. Browne"))
    assert len(names_index) == 7
    assert names_index.screen(Query(name="Joan Smyth"), everything, 5, 0.9) == []
    hits = names_index.screen(Query(name="Joanna Browne"), everything, 5, 0.7)
    assert [h.subject_id for h in hits] == ["smyth"]
    assert hits[0].matched_name in {"Joanna Smythe-Browne", "J. Browne"}


def test_put_replacing_the_identifiers_forgets_the_old_ones(names_index: NamesIndex) -> None:
    names_index.put(record("smith", "John Smith", identifiers=(("passport", "XY999"),)))
    assert names_index.screen(Query(identifiers=("AB123456",)), everything, 5, 0.5) == []
    assert len(names_index.screen(Query(identifiers=("XY 999",)), everything, 5, 0.5)) == 1


def test_brute_force_answers_like_screen_on_the_fixture(names_index: NamesIndex) -> None:
    for query in (Query(name="Dmitry Soin"), Query(name="Smith"), Query(identifiers=("AB123456",))):
        assert names_index.brute_force(query, everything, 5, 0.5) == names_index.screen(
            query, everything, 5, 0.5
        )


# --- against the baseline, on generated names -------------------------------------------


def misspelt(name: str, rng: random.Random) -> str:
    """The name with one letter dropped or two neighbouring letters swapped."""
    spots = [i for i in range(len(name) - 1) if name[i].isalpha() and name[i + 1].isalpha()]
    i = rng.choice(spots)
    if rng.random() < 0.5:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def generated_index(count: int, seed: int) -> tuple[NamesIndex, list[ProfileRecord]]:
    fake = Faker(["en_US", "de_DE", "fr_FR", "ru_RU", "es_ES"])
    fake.seed_instance(seed)
    records = [
        record(f"p{i:05d}", fake.name(), *([fake.name()] if i % 5 == 0 else []))
        for i in range(count)
    ]
    idx = NamesIndex()
    for r in records:
        idx.put(r)
    return idx, records


def test_screen_agrees_with_brute_force_on_misspelt_generated_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A cap this small makes a thousand names as hard for the blocking as a million for the real
    # cap: most queries then find far more candidates than may be scored.
    monkeypatch.setattr(index_module, "CANDIDATE_CAP", 20)
    monkeypatch.setattr(index_module, "PRERANK", 80)
    idx, records = generated_index(800, seed=7)
    rng = random.Random(7)
    for r in rng.sample(records, 120):
        query = Query(name=misspelt(r.names[0][0], rng))
        screened = idx.screen(query, everything, 3, 0.5)
        brute = idx.brute_force(query, everything, 3, 0.5)
        assert screened, query
        assert screened[0].score == brute[0].score, (query, screened[0], brute[0])
        best = {h.subject_id for h in brute if h.score == brute[0].score}
        assert screened[0].subject_id in best


def test_screen_scores_only_a_few_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    idx, records = generated_index(5000, seed=11)
    calls = 0

    def counting(*args: Any) -> Hit:
        nonlocal calls
        calls += 1
        return score(*args)

    monkeypatch.setattr(index_module, "score", counting)
    target = records[1234]
    hits = idx.screen(Query(name=target.names[0][0]), everything, 5, 0.5)
    assert hits[0].subject_id == target.subject_id or hits[0].score == 1.0
    assert 0 < calls <= CANDIDATE_CAP
    assert calls < len(idx) // 20
    calls = 0
    idx.brute_force(Query(name=target.names[0][0]), everything, 5, 0.5)
    assert calls == len(idx)


def test_screening_while_another_thread_puts() -> None:
    idx, records = generated_index(300, seed=3)
    extra = [record(f"q{i:05d}", f"{r.names[0][0]} Junior") for i, r in enumerate(records)]
    errors: list[BaseException] = []

    def screen_repeatedly() -> None:
        try:
            for r in records[:100]:
                hits = idx.screen(Query(name=r.names[0][0]), everything, 3, 0.5)
                assert hits
        except BaseException as error:
            errors.append(error)
            raise

    readers = [threading.Thread(target=screen_repeatedly) for _ in range(3)]
    for reader in readers:
        reader.start()
    for r in extra:
        idx.put(r)
    for reader in readers:
        reader.join()
    assert errors == []
    assert len(idx) == len(extra) + sum(len(r.names) for r in records)
