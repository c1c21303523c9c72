"""How alike a query and one recorded name are, as a score from 0 to 1 with its reasons.

The score is what an analyst reviews, so every part of it is reported in ``Hit.features`` (each
0..1, present only when that feature could be compared):

- ``name_similarity``: the folded tokens of the two names compared regardless of order. Three
  rapidfuzz measures are blended: the aligned-token similarity (each query token paired with the
  most alike unused token of the name by Jaro-Winkler, weighted by token length, unpaired tokens
  counting as zero on either side), weight 1/2; the ratio of the sorted token strings, 1/4; the
  token-set ratio (high when one name is the other with parts left out), 1/4. The alignment
  forgives a typo in one token; the sorted ratio punishes extra or missing parts; the set ratio
  keeps "Dmitri Soin" close to "Dmitri Iurevich Soin".
- ``token_overlap``: the share of tokens the two names have exactly in common, out of the longer
  name's tokens.
- ``birth_date``: 1 when a date of the query equals one of the record's, 0.75 when they agree as
  far as the vaguer one goes (it gives only the year, or the year and month), 0.25 when the years
  agree and the months or days differ, 0 when no year agrees. Compared only when both sides give
  a year.
- ``country``: 1 when a country of the query is among the record's, else 0; compared only when
  both give countries.
- ``identifier``: 1 when an identifier of the query equals one of the record's (after
  ``identifier_key``), else 0; compared only when both give identifiers.

They combine as follows. The name score is ``0.9 * name_similarity + 0.1 * token_overlap``. Each
other compared feature is then evidence for or against, 0.5 being neutral: a value ``v`` above 0.5
closes the gap to 1 by ``w * (2v - 1)`` of it, a value below 0.5 takes ``w * (1 - 2v)`` of the
score away, with weight ``w`` 0.25 for the birth date, 0.15 for the country and 0.10 for an
identifier that differs. So agreement can only raise a score and conflict only lower it, a perfect
name with a conflicting birth date still scores 0.75 (lists do get dates wrong), and a feature not
compared changes nothing. An equal identifier overrides all this: the score is 1, whatever the
name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler
from rapidfuzz.fuzz import ratio, token_set_ratio

from application.screening.model import Hit, ProfileRecord, Query
from application.screening.normalize import country_key, identifier_key

NAME_WEIGHT_SIMILARITY = 0.9
NAME_WEIGHT_OVERLAP = 0.1
FEATURE_WEIGHTS = {"birth_date": 0.25, "country": 0.15, "identifier": 0.10}
THRESHOLD = 0.75
"""The score from which a hit is reported unless the request says otherwise. Measured by
``bench/screening_eval.py`` on the OFAC list of 2022-01-31 against 2,000 ordinary names: at 0.7,
10% of ordinary names hit something; at 0.75, under 5%; at 0.8, under 2%, but a third fewer of
the aliases left out of the index are found by their other names."""

BirthDate = tuple[int, int | None, int | None]
"""(year, month or None, day or None)."""

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


@lru_cache(maxsize=1 << 16)
def parse_birth_date(value: str) -> BirthDate | None:
    """The year, month and day a recorded birth date gives ("1970-05-02", "1970-05", "circa
    1970"), or None when it names no year."""
    found = _DATE.search(value)
    if found is None:
        return None
    year, month, day = found.groups()
    return (int(year), int(month) if month else None, int(day) if day else None)


def _date_agreement(left: BirthDate, right: BirthDate) -> float:
    """How far two birth dates agree (see the module docstring for the values)."""
    if left[0] != right[0]:
        return 0.0
    if None in (left[1], right[1]):
        return 0.75
    if left[1] != right[1] or (None not in (left[2], right[2]) and left[2] != right[2]):
        return 0.25
    if None in (left[2], right[2]):
        return 0.75
    return 1.0


def compare_birth_dates(asked: tuple[str, ...], recorded: tuple[str, ...]) -> float | None:
    """The best agreement between any asked and any recorded birth date, None if either side
    gives no year."""
    left = [d for d in map(parse_birth_date, asked) if d is not None]
    right = [d for d in map(parse_birth_date, recorded) if d is not None]
    if not left or not right:
        return None
    return max(_date_agreement(a, b) for a in left for b in right)


def compare_countries(asked: tuple[str, ...], recorded: tuple[str, ...]) -> float | None:
    """1 if the two sides share a country, 0 if not, None if either gives none."""
    if not asked or not recorded:
        return None
    recorded_keys = {country_key(c) for c in recorded}
    return 1.0 if any(country_key(c) in recorded_keys for c in asked) else 0.0


def compare_identifiers(asked: tuple[str, ...], record: ProfileRecord) -> float | None:
    """1 if an asked identifier equals one of the record's, 0 if not, None if either gives none."""
    if not asked or not record.identifiers:
        return None
    recorded = {identifier_key(value) for _, value in record.identifiers}
    recorded.discard("")
    return 1.0 if any(identifier_key(value) in recorded for value in asked) else 0.0


def _aligned_similarity(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """Tokens paired greedily, the most alike pair first, each pair counting its Jaro-Winkler
    similarity over the two tokens' lengths; the sum over all tokens' lengths on both sides."""
    total = sum(map(len, left)) + sum(map(len, right))
    if total == 0:
        return 0.0
    similarity = JaroWinkler.normalized_similarity
    if len(left) == 1 or len(right) == 1:
        # One pair at most: the best one.
        value, a, b = max((similarity(a, b), a, b) for a in left for b in right)
        return value * (len(a) + len(b)) / total
    pairs = [(similarity(a, b), i, j) for i, a in enumerate(left) for j, b in enumerate(right)]
    pairs.sort(reverse=True)
    used_left = used_right = 0  # bit masks of the tokens already paired
    matched = 0.0
    for value, i, j in pairs:
        if used_left >> i & 1 or used_right >> j & 1:
            continue
        used_left |= 1 << i
        used_right |= 1 << j
        matched += value * (len(left[i]) + len(right[j]))
    return matched / total


@lru_cache(maxsize=1 << 12)
def _sorted_text(tokens: tuple[str, ...]) -> str:
    """The tokens sorted and joined: the order-free string form of a name."""
    return " ".join(sorted(tokens))


def name_similarity(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """The order-free similarity of two token sequences, 0..1 (see the module docstring)."""
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    left_text, right_text = _sorted_text(left), _sorted_text(right)
    aligned = _aligned_similarity(left, right)
    sort_ratio = ratio(left_text, right_text) / 100.0
    set_ratio = token_set_ratio(left_text, right_text, processor=None) / 100.0
    return 0.5 * aligned + 0.25 * sort_ratio + 0.25 * set_ratio


def token_overlap(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """Tokens in common over the longer side's distinct tokens."""
    left_set, right_set = set(left), set(right)
    longer = max(len(left_set), len(right_set))
    return len(left_set & right_set) / longer if longer else 0.0


@lru_cache(maxsize=1 << 16)
def name_features(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[float, float]:
    """``name_similarity`` and ``token_overlap`` of two token sequences, rounded as reported.

    Remembered: the rows of one subject's history repeat its names, and a batch its queries."""
    return round(name_similarity(left, right), 4), round(token_overlap(left, right), 4)


def other_features(query: Query, record: ProfileRecord) -> dict[str, float]:
    """The non-name features the query and the record can both be compared on."""
    features: dict[str, float] = {}
    birth_date = compare_birth_dates(query.birth_dates, record.birth_dates)
    if birth_date is not None:
        features["birth_date"] = birth_date
    country = compare_countries(query.countries, record.countries)
    if country is not None:
        features["country"] = country
    identifier = compare_identifiers(query.identifiers, record)
    if identifier is not None:
        features["identifier"] = identifier
    return features


def _combine(name_score: float, features: dict[str, float]) -> float:
    """The name score moved by each compared non-name feature: towards 1 by agreement, towards 0
    by conflict (see the module docstring)."""
    total = name_score
    for feature, weight in FEATURE_WEIGHTS.items():
        value = features.get(feature)
        if value is None:
            continue
        if value >= 0.5:
            total += weight * (2.0 * value - 1.0) * (1.0 - total)
        else:
            total -= weight * (1.0 - 2.0 * value) * total
    return total


def score(
    query: Query,
    query_tokens: tuple[str, ...],
    record: ProfileRecord,
    name: str | None,
    name_type: str | None,
    name_tokens: tuple[str, ...],
) -> Hit:
    """Score one recorded name of ``record`` against ``query`` (tokens from ``name_tokens``).

    ``name`` may be None to score the record on its other features alone (a query that gives an
    identifier and no name); the name features are then absent and the name score counts as 0.
    """
    features: dict[str, float] = {}
    name_score = 0.0
    if name is not None and query_tokens:
        similarity, overlap = name_features(query_tokens, name_tokens)
        features["name_similarity"] = similarity
        features["token_overlap"] = overlap
        name_score = NAME_WEIGHT_SIMILARITY * similarity + NAME_WEIGHT_OVERLAP * overlap
    has_others = bool(query.birth_dates or query.countries or query.identifiers)
    if has_others:
        features.update(other_features(query, record))
    if not has_others:
        total = name_score
    elif features.get("identifier") == 1.0:
        total = 1.0
    else:
        total = _combine(name_score, features)
    return Hit(
        subject_id=record.subject_id,
        record_key=record.key,
        score=round(min(1.0, max(0.0, total)), 4),
        matched_name=name,
        name_type=name_type,
        features=features,
    )
