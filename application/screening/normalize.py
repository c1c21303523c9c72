"""Names reduced to comparable tokens, so that spellings of one name meet.

Sanctions lists record a name as each authority wrote it: in Cyrillic or in one of several
romanisations, upper case, "SURNAME, Given", with an honorific in front, or with the company's
legal form ("OOO", "LLC", "GmbH") around it. Screening must see through all of that, so every name,
the recorded ones and the asked ones alike, goes through the same steps:

1. any script to Latin ASCII and case folded (rigour's transliteration);
2. honorifics dropped from the head of person names, legal forms dropped from organization names,
   vessel prefixes ("M/V") from vessels and aircraft (rigour's word lists, plus a few honorifics
   rigour lacks);
3. split into tokens at spaces and punctuation;
4. each token folded to a key that merges the common romanisation variants ("Dmitry", "Dmitriy",
   "Dmitrii" -> "dmitri"; "Yuryevich", "Yurevich" -> "iurevich"; "Soyin" -> "soin").

The folded tokens are what the scorer compares and the index blocks on; the order of the tokens is
kept but carries no meaning for either.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache

from rigour.names import (
    remove_obj_prefixes,
    remove_org_prefixes,
    remove_org_types,
    remove_person_prefixes,
    tokenize_name,
)
from rigour.territories import get_territory, lookup_territory
from rigour.text import ascii_text, metaphone

PERSON = "person"
ORGANIZATION = "organization"
OBJECT_KINDS = frozenset({"vessel", "aircraft"})

_EXTRA_HONORIFICS = frozenset(
    {
        # Religious and tribal titles common on sanctions lists, absent from rigour's prefixes.
        "sheikh",
        "shaikh",
        "shaykh",
        "sheik",
        "haji",
        "hajji",
        "hadji",
        "alhaji",
        "mullah",
        "mulla",
        "maulana",
        "ayatollah",
        "hojatoleslam",
        # Military ranks as abbreviated in list entries.
        "gen",
        "col",
        "maj",
        "lt",
        "brig",
        "adm",
        "sgt",
        "cpl",
    }
)

# Ordered rewrites: each turns one romanisation habit into a single spelling. The order matters:
# "yu"/"ya" must become "iu"/"ia" before the final "y" becomes "i", and doubled letters are merged
# last so that "ii" produced by earlier rules collapses too.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"x", "ks"),  # Alexei / Aleksei
        (r"kh", "h"),  # Mikhail / Mihail, Khalid / Halid
        (r"ph", "f"),
        (r"ck", "k"),
        (r"w", "v"),  # German romanisation of Cyrillic "в": Wladimir, Ivanow
        (r"tch", "ch"),
        (r"ou", "u"),  # French romanisation: Youssef / Yusef
        (r"(?<=[aeiou])y(?=[aeiou])", ""),  # Soyin / Soin, Mayorov / Maorov
        (r"ij(?=[aeiou])", "i"),  # Marija / Maria, Anastasija / Anastasia
        (r"ye", "e"),  # Yevgeny / Evgeny, Sergeyev / Sergeev, Yuryevich / Yurevich
        (r"yi", "i"),
        (r"y(?=[auo])", "i"),  # Yuri / Iurii, Ilya / Ilia
        (r"(?:iy|ij|yy|ii|y)$", "i"),  # Dmitriy / Dmitrij / Dmitrii / Dmitry
        (r"ff$", "v"),  # Smirnoff / Smirnov
        (r"(.)\1+", r"\1"),  # doubled letters: Mariia / Maria, Hassan / Hasan
    )
)


@lru_cache(maxsize=1 << 18)
def fold_token(token: str) -> str:
    """The key of one lower-case ASCII token that its romanisation variants share.

    Tokens holding digits (vessel numbers, registration marks) are returned as they are: folding
    is for spelling, not for codes.
    """
    if any(ch.isdigit() for ch in token):
        return sys.intern(token)
    folded = token
    for pattern, replacement in _FOLDS:
        folded = pattern.sub(replacement, folded)
    return sys.intern(folded or token)


def _strip_person(text: str) -> str:
    """Drop honorifics from the head of a person name, rigour's and the extra ones."""
    text = remove_person_prefixes(text)
    words = text.split()
    while len(words) > 1 and words[0].strip(".,") in _EXTRA_HONORIFICS:
        words = words[1:]
    return " ".join(words)


def _strip_organization(text: str) -> str:
    """Drop articles and legal forms of an organization name, unless nothing would remain."""
    stripped = remove_org_types(remove_org_prefixes(text))
    return stripped if stripped.strip() else text


def _strip(text: str, kind: str | None) -> str:
    """Drop the words that say what kind of bearer a name has rather than who it is.

    Without a kind (a query that does not say) both the person and the organization words go:
    the record side keeps its own kind's rules, and a missing legal form or title on either side
    then costs little in the scorer.
    """
    if kind == PERSON:
        return _strip_person(text)
    if kind == ORGANIZATION:
        return _strip_organization(text)
    if kind in OBJECT_KINDS:
        stripped = remove_obj_prefixes(text)
        return stripped if stripped.strip() else text
    return _strip_organization(_strip_person(text))


@lru_cache(maxsize=1 << 18)
def _ascii_word(word: str) -> str:
    """One word in Latin ASCII. Transliteration costs hundreds of microseconds a call, and the
    words of names recur far more than whole names do, so it is done, and remembered, by word."""
    return ascii_text(word)


def to_ascii(text: str) -> str:
    """Any script to Latin ASCII, word by word."""
    if text.isascii():
        return text
    return " ".join(_ascii_word(word) for word in text.split())


@lru_cache(maxsize=1 << 16)
def name_tokens(name: str, kind: str | None = None) -> tuple[str, ...]:
    """The folded tokens of a name, in the order written.

    If dropping honorifics or legal forms would leave nothing ("Mr", "OOO"), the plain tokens of
    the name are returned instead, so that no name is ever reduced to nothing but an empty one.
    """
    text = to_ascii(name).casefold()
    tokens = tokenize_name(_strip(text, kind))
    if not tokens:
        tokens = tokenize_name(text)
    return tuple(fold_token(token) for token in tokens)


MIN_PHONETIC = 2


@lru_cache(maxsize=1 << 18)
def token_keys(token: str) -> tuple[str, ...]:
    """The blocking keys of one folded token: the token itself and its metaphone code.

    Tokens are lower case and metaphone codes upper case, so the two kinds of key never collide
    in one index. A token without a phonetic code (digits only) has just itself as a key.
    """
    phonetic = metaphone(token) if token.isalpha() else ""
    if len(phonetic) < MIN_PHONETIC or phonetic == token:
        # A one-letter code ("I", "S") is shared by tens of thousands of names: it blocks
        # nothing and costs a scan of them all.
        return (token,)
    return (token, sys.intern(phonetic))


def identifier_key(value: str) -> str:
    """An identifier reduced to its letters and digits, upper case: "AB 123-456" -> "AB123456".

    Lists write the same passport or IMO number with spaces, dashes or dots; only the characters
    that carry the number count.
    """
    return "".join(ch for ch in to_ascii(value) if ch.isalnum()).upper()


@lru_cache(maxsize=4096)
def country_key(value: str) -> str:
    """A country as its territory code when rigour knows it ("Russia", "RU", "rus" -> "ru"),
    else the case-folded ASCII text."""
    # Codes first: looking a name up builds rigour's name table, seconds the first time.
    territory = get_territory(value) or lookup_territory(value)
    if territory is not None:
        return territory.code
    return to_ascii(value).strip().casefold()
