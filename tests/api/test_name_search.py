"""A name search answers the same on every store, whichever way it takes.

``name`` matches the subjects one of whose names contains the term, case, accents and
punctuation folded out of both (``normalize``). Each store looks a term of three characters
or more up in a trigram index and checks each proposed name exactly, and reads a common or
shorter term in id order instead; the tests run each search both ways (``way``), and compare
every answer with the same containment test done here in Python on the names recorded.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.bootstrap import Services
from application.views import name_search, trigram_shares
from application.views.check import check_views
from application.views.rows import normalize
from application.views.store import SQLiteViews
from tests.api.payloads import OFAC

AS_OF = "2022-01-01"
NAMES = {
    "accented": ["Müller-Lüdenscheidt, José Ñúñez", "MUELLER, Jose"],
    "apostrophe": ["O'Brien & Sons Ltd.", "OBRIEN SONS"],
    "chinese": ["王伟", "Wang Wei"],
    "arabic": ["محمد علي"],
    "percent": ["100% Pure Trading Co"],
    "trading": ["Trading House", "TRADING-HOUSE 2"],
    "underscore": ["X_Y Holdings"],
    "bang": ["Bang! Industries Trading"],
    "short": ["Li", "Xu Bo"],
    "quoted": ['The "Quoted" Trading Company'],
    "ligature": ["ﬁnance Straße"],
    "plain": ["Alpha Beta Gamma", "Alpha Trading"],
}
TERMS = [
    # one and two characters: no trigram to look up
    "a",
    "W",
    "王",
    "li",
    "王伟",
    "jo",
    "Ñ",
    # three and more
    "jos",
    "José",
    "JOSE",
    "muller ludenscheidt",
    "Müller-Lüdenscheidt",
    "o brien",
    "o'brien",
    "sons ltd",
    "محمد",
    "strasse",
    "STRASSE",
    "Straße",
    "fin",
    "ﬁnance",
    "alpha beta gamma",
    "beta  gamma",
    "zzz",
    "xyzzy",
    "trading",
    "ing",
    "tra",
    "trading house",
    # LIKE's wildcards and escape character, taken literally (and folded to spaces)
    "100%",
    "100%%",
    "x_y",
    "x%y",
    "x!y",
    "bang!",
    "%ang%",
    "_ang",
    "!bang",
    # FTS5 and SQL syntax: text like any other
    '"quoted"',
    'quoted" OR "alpha',
    "NEAR(alpha beta)",
    "alp*",
    "^bang",
    "alpha AND beta",
    "'; DROP TABLE name_segments; --",
    "name_search MATCH 'a'",
]


@pytest.fixture(params=["index", "common", "scan"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``common``: every term held by more than one row is taken as common (the index is
    read only as far as a page); ``scan``: no term is looked up in the index, each is
    tested on the subjects in id order."""
    if request.param == "common":
        monkeypatch.setattr(name_search, "CANDIDATES", 1)
        monkeypatch.setattr(name_search, "POSTGRES_CANDIDATES", 1)
    if request.param == "scan":
        monkeypatch.setattr(name_search, "MIN_INDEXED", 1000)
    chosen: str = request.param
    return chosen


def register(client: TestClient, names: list[str], effective_at: str = "2021-12-10") -> str:
    body = {
        "kind": "organization",
        "profile": {"names": [{"value": name} for name in names]},
        "effective_at": effective_at,
        "source": OFAC,
    }
    written = client.post("/v1/subjects", json=body)
    assert written.status_code == 201, written.text
    subject_id: str = written.json()["subject_ids"][0]
    return subject_id


@pytest.fixture
def recorded(client: TestClient) -> dict[str, str]:
    """Subject ids by their key in NAMES."""
    return {key: register(client, names) for key, names in NAMES.items()}


def search(client: TestClient, name: str, **params: Any) -> list[str]:
    """Every subject found, in the order of the pages, read a few at a time."""
    found: list[str] = []
    cursor: str | None = None
    while True:
        query = {"as_of": AS_OF, "name": name, "limit": 3, **params}
        if cursor is not None:
            query["cursor"] = cursor
        answer = client.get("/v1/subjects", params=query)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        found.extend(item["subject_id"] for item in page["items"])
        cursor = page.get("next_cursor")
        if cursor is None:
            return found


def expected(recorded: dict[str, str], term: str) -> list[str]:
    """The subjects a name of which contains the term, both normalized, in id order."""
    wanted = normalize(term)
    return sorted(
        recorded[key]
        for key, names in NAMES.items()
        if any(wanted in normalize(name) for name in names)
    )


def test_every_term_finds_the_subjects_whose_names_contain_it(
    client: TestClient, recorded: dict[str, str], way: str
) -> None:
    wrong = {
        term: (found, want)
        for term in TERMS
        if (found := search(client, term)) != (want := expected(recorded, term))
    }
    assert wrong == {}, way


def test_case_accents_and_punctuation_are_ignored(
    client: TestClient, recorded: dict[str, str], way: str
) -> None:
    """The containment the model above computes, spelled out for a few terms."""
    assert search(client, "jose") == [recorded["accented"]], way
    assert search(client, "ÑUÑEZ") == [recorded["accented"]]
    assert search(client, "o-brien, sons") == [recorded["apostrophe"]]
    assert search(client, "strasse") == [recorded["ligature"]]
    assert search(client, "finance") == [recorded["ligature"]]
    assert search(client, "王伟") == [recorded["chinese"]]
    assert search(client, "100 pure") == [recorded["percent"]]
    assert search(client, "x y holdings") == [recorded["underscore"]]


def test_a_search_for_wildcards_alone_is_refused(
    client: TestClient, recorded: dict[str, str]
) -> None:
    assert recorded
    for term in ("%", "_", "!", "%_!", '"', "*"):
        answer = client.get("/v1/subjects", params={"name": term})
        assert answer.status_code == 422, term
        assert answer.headers["content-type"] == "application/problem+json"
        assert "no letter or digit" in answer.json()["detail"]


def test_names_are_searched_as_they_stood_at_the_point_asked(client: TestClient, way: str) -> None:
    """A renamed subject: its old name is found before the new one takes effect and at a
    log position before the renaming was recorded; its new one only after both."""
    renamed = register(client, ["Old Horizon Shipping", "OHS"])
    other = register(client, ["Horizon Shipping Agency"])
    before = client.get("/v1/subjects", params={"name": "ohs"}).json()["position"]
    amended = client.post(
        f"/v1/subjects/{renamed}/amendments",
        json={
            "profile": {"names": [{"value": "New Meridian Shipping"}]},
            "effective_at": "2022-06-01",
            "source": OFAC,
        },
    )
    assert amended.status_code == 201, amended.text
    later = "2022-07-01"
    assert search(client, "old horizon", as_of=AS_OF) == [renamed], way
    assert search(client, "old horizon", as_of=later) == []
    assert search(client, "new meridian", as_of=AS_OF) == []
    assert search(client, "new meridian", as_of=later) == [renamed]
    assert sorted(search(client, "horizon", as_of=AS_OF)) == sorted([renamed, other])
    assert search(client, "horizon", as_of=later) == [other]
    # Known at a position before the renaming: the old name still holds later on.
    at = f"position:{before}"
    assert search(client, "old horizon", as_of=later, known_at=at) == [renamed]
    assert search(client, "new meridian", as_of=later, known_at=at) == []
    assert search(client, "ohs", as_of=later, known_at=at) == [renamed]
    assert search(client, "ohs", as_of=later) == []


def test_a_rebuild_keeps_the_index_in_step(
    client: TestClient, services: Services, recorded: dict[str, str]
) -> None:
    before = {term: search(client, term) for term in TERMS}
    services.projector.rebuild()
    assert {term: search(client, term) for term in TERMS} == before
    assert check_views(services.ledger, services.views).ok
    if isinstance(services.views, SQLiteViews):
        with services.views.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM name_search) AS indexed, "
                "(SELECT count(*) FROM name_segments) AS names"
            )
            counts = cursor.fetchone()
        assert counts is not None and counts["indexed"] == counts["names"] == sum(
            len(names) for names in NAMES.values()
        )
    assert recorded


def test_a_name_recorded_after_a_search_is_found_by_the_next(
    client: TestClient, recorded: dict[str, str]
) -> None:
    assert search(client, "quartz meadow") == []
    added = register(client, ["Quartz Meadow Holdings"])
    assert search(client, "quartz meadow") == [added]
    assert recorded


def test_the_index_is_asked_for_the_trigrams_fewest_names_hold(
    client: TestClient, services: Services
) -> None:
    """Every name ends in ``ovich``: its trigrams narrow nothing, so a search for a whole
    name asks the index for trigrams of the parts that differ."""
    surnames = ["KARO", "MILE", "TUVA", "ZENO", "BORI", "HEGO", "LUFA", "DIMA"]
    ids = {s: register(client, [f"{s}, {s.title()}evich Petrovich"]) for s in surnames}
    services.reader.point()  # the views reach the end of the log
    shares = trigram_shares.sample(services.views)
    assert shares.names == len(surnames)
    assert shares.shares["ich"] == shares.shares["vic"] == 1.0
    term = normalize("KARO, Karoevich Petrovich")
    grams = name_search._trigrams(term, shares)
    assert len(grams) == name_search.TRIGRAMS
    assert all(shares.shares[gram] < 1.0 for gram in grams), grams
    assert search(client, term) == [ids["KARO"]]
    # Without a sample, the trigrams are spread over the term, its end among them.
    assert any(shares.shares[gram] == 1.0 for gram in name_search._trigrams(term, None))


def test_trigrams_of_equal_share_are_taken_in_the_order_of_the_term() -> None:
    shares = trigram_shares.TrigramShares({"abc": 0.5, "bcd": 0.1, "cde": 0.1}, 10, 0.0)
    apart = [(0, "abc"), (3, "bcd"), (6, "cde"), (9, "xyz")]
    assert shares.rarest(apart, 2) == ["bcd", "xyz"]
    assert shares.rarest(apart, 3) == ["bcd", "cde", "xyz"]


def test_trigrams_apart_are_taken_before_rarer_ones_that_overlap() -> None:
    """``sad``, ``ada`` and ``dai`` of ``sadai`` are held by nearly the same names: asking
    for all three narrows hardly more than asking for one."""
    shares = trigram_shares.TrigramShares(
        {"sad": 0.01, "ada": 0.02, "dai": 0.02, "ami": 0.05, "mir": 0.06}, 10, 0.0
    )
    term = [(0, "sad"), (1, "ada"), (2, "dai"), (6, "ami"), (7, "mir")]
    assert shares.rarest(term, 2) == ["sad", "ami"]
    assert shares.rarest(term, 3) == ["sad", "ada", "ami"]
    # Overlapping ones fill in where nothing apart is rarer than them counted as overlapping.
    assert shares.rarest(term[:3], 3) == ["sad", "ada", "dai"]
    common = trigram_shares.TrigramShares({"sad": 0.01, "ada": 0.02, "ami": 1.0}, 10, 0.0)
    assert common.rarest([(0, "sad"), (1, "ada"), (6, "ami")], 2) == ["sad", "ada"]


@pytest.mark.parametrize("store_kind", ["postgres"], indirect=True)
def test_postgresql_keeps_the_name_index_s_pending_list_short(services: Services) -> None:
    """Every search reads the rows not yet merged into a GIN index; the ledger caps them at
    256 kB where PostgreSQL's default lets 4 MB gather."""
    with services.views.transaction(commit=False) as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE oid = 'name_segments_trigrams'::regclass"
        )
        row = cursor.fetchone()
    assert row is not None
    assert "gin_pending_list_limit=256" in row["reloptions"]
