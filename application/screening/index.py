"""The names index: which recorded names a query could be, found without scoring them all.

A million names cannot each be scored for every query, so names are blocked: every folded token of
every name is filed under its blocking keys (the token and its phonetic code). A query looks up its
own keys, rarest first, and sums for each name found the inverse document frequency of the keys it
shares. Of the heaviest names by that sum that the caller may see (live, at the read point, of
the kind asked), those above a floor set by the heaviest of them are put in order by rapidfuzz's
token-set ratio, which runs in C over the whole batch for about a microsecond a name: key sums tie
a lot when names share a common first name, and this ordering breaks the ties by how alike the
rest of the name is. Only the first ``CANDIDATE_CAP`` are scored. An
exact identifier (passport, IMO, tax number) finds its records directly, whatever the names.

The index is kept compact: a record is held once, in a slot; each name is a number whose slot,
position in the record's names and folded tokens (as one space-joined string) sit in parallel
arrays; a record's names are numbered consecutively, so a slot needs only its first number and
count; the postings of a key are an ``array('I')`` of name numbers.

Rows of the views are closed by writing them again with ``rec_to`` set, so ``put`` of a known key
replaces the record in its slot; the postings stay unless the names themselves changed, in which
case the old names are marked dead (their slot set to ``_DEAD``) and the new ones filed.

Concurrency: writers take a lock; readers take none. A writer fills a name's arrays before filing
the name in any postings and kills old names before swapping the record, so a reader sees either
the old state or the new one for each name, never half of one.
"""

from __future__ import annotations

import heapq
import threading
from array import array
from collections.abc import Callable, Iterator
from math import log

from rapidfuzz import process
from rapidfuzz.fuzz import token_set_ratio

from application.screening.model import Hit, ProfileRecord, Query, RecordKey
from application.screening.normalize import identifier_key, name_tokens, token_keys
from application.screening.scoring import compare_identifiers, score

Visible = Callable[[ProfileRecord], bool]

CANDIDATE_CAP = 200
"""How many visible names, at most, a query scores."""

PRERANK = 1000
"""How many of the heaviest candidates by key sum are ordered by token-set ratio before scoring."""

WEIGHT_FLOOR = 0.35
"""Candidates sharing keys worth less than this share of the best candidate's are not scored:
they share at most a common token or a sound with the query, which the best does too, and more."""

SCAN_LIMIT = 10_000
"""A key filed under more names than this is not scanned once rarer keys found candidates: so
common a key would barely change the ranking and would cost more than all the scoring."""

_DEAD = 0xFFFFFFFF


class _Best:
    """The best hit per subject of one query, and the caller's visibility per slot (asked once)."""

    def __init__(self, visible: Visible, kind: str | None) -> None:
        self._visible = visible
        self._kind = kind
        self._seen: dict[int, bool] = {}
        self.hits: dict[str, Hit] = {}

    def admits(self, slot: int, record: ProfileRecord) -> bool:
        """Whether the record is of the kind asked for and visible to the caller."""
        admitted = self._seen.get(slot)
        if admitted is None:
            admitted = (self._kind is None or record.kind == self._kind) and self._visible(record)
            self._seen[slot] = admitted
        return admitted

    def offer(self, hit: Hit) -> None:
        """Keep the hit if it is its subject's best so far (the first one found on a tie)."""
        held = self.hits.get(hit.subject_id)
        if held is None or hit.score > held.score:
            self.hits[hit.subject_id] = hit

    def ranked(self, limit: int, threshold: float) -> list[Hit]:
        """Hits at or above the threshold, best first, then by subject id, at most ``limit``."""
        kept = [hit for hit in self.hits.values() if hit.score >= threshold]
        kept.sort(key=lambda hit: (-hit.score, hit.subject_id))
        return kept[:limit]


class NamesIndex:
    """The names of the views' profile rows, blocked by token and phonetic keys."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[RecordKey, int] = {}
        self._records: list[ProfileRecord] = []
        self._slot_first: array[int] = array("I")
        self._slot_count: array[int] = array("I")
        self._name_slot: array[int] = array("I")
        self._name_pos: array[int] = array("I")
        self._name_text: list[str] = []
        self._postings: dict[str, array[int]] = {}
        self._identifiers: dict[str, array[int]] = {}
        self._live = 0

    def __len__(self) -> int:
        """The number of live names indexed."""
        return self._live

    def record(self, key: RecordKey) -> ProfileRecord:
        """The profile row a hit's ``record_key`` names."""
        return self._records[self._slots[key]]

    # -- writing ---------------------------------------------------------------------------

    def put(self, record: ProfileRecord) -> None:
        """Add a profile row, or replace the row with the same key (typically: now closed)."""
        with self._lock:
            slot = self._slots.get(record.key)
            if slot is None:
                self._add(record)
            else:
                self._replace(slot, record)

    def _add(self, record: ProfileRecord) -> None:
        slot = len(self._records)
        self._records.append(record)
        self._slot_first.append(0)
        self._slot_count.append(0)
        self._file_names(slot, record)
        self._file_identifiers(slot, record)
        self._slots[record.key] = slot

    def _replace(self, slot: int, record: ProfileRecord) -> None:
        old = self._records[slot]
        same_names = old.names == record.names and old.kind == record.kind
        if not same_names:
            self._kill_names(slot)
        self._records[slot] = record
        if not same_names:
            self._file_names(slot, record)
        if old.identifiers != record.identifiers:
            # Keys no longer held stay filed; readers check the record's identifiers anyway.
            self._file_identifiers(slot, record)

    def _file_names(self, slot: int, record: ProfileRecord) -> None:
        first = len(self._name_text)
        for position, (name, _) in enumerate(record.names):
            tokens = name_tokens(name, record.kind)
            if not tokens:
                continue
            number = len(self._name_text)
            self._name_text.append(" ".join(tokens))
            self._name_pos.append(position)
            self._name_slot.append(slot)
            keys = {key for token in tokens for key in token_keys(token)}
            for key in keys:
                self._postings.setdefault(key, array("I")).append(number)
            self._live += 1
        self._slot_count[slot] = len(self._name_text) - first
        self._slot_first[slot] = first

    def _kill_names(self, slot: int) -> None:
        for number in self._numbers(slot):
            self._name_slot[number] = _DEAD
            self._live -= 1

    def _numbers(self, slot: int) -> range:
        """The numbers of a record's names (dead ones included, while being replaced)."""
        first = self._slot_first[slot]
        return range(first, first + self._slot_count[slot])

    def _file_identifiers(self, slot: int, record: ProfileRecord) -> None:
        for _, value in record.identifiers:
            key = identifier_key(value)
            if not key:
                continue
            slots = self._identifiers.setdefault(key, array("I"))
            if slot not in slots:
                slots.append(slot)

    # -- reading ---------------------------------------------------------------------------

    def screen(self, query: Query, visible: Visible, limit: int, threshold: float) -> list[Hit]:
        """The subjects the query may be: best hit per subject, score >= threshold, best first
        (then by subject id), at most ``limit``.

        Only the names found through the query's blocking keys are scored, at most
        ``CANDIDATE_CAP`` of them, the best by summed key rarity first; records for which
        ``visible`` is false, or of another kind than ``query.kind`` when it is given, are skipped
        before scoring. A record holding one of the query's identifiers is a hit whatever its names.
        """
        tokens = name_tokens(query.name, query.kind) if query.name else ()
        best = _Best(visible, query.kind)
        for slot in self._identifier_slots(query):
            self._score_record(query, tokens, slot, best)
        if tokens:
            self._score_candidates(query, tokens, best)
        return best.ranked(limit, threshold)

    def brute_force(
        self, query: Query, visible: Visible, limit: int, threshold: float
    ) -> list[Hit]:
        """What ``screen`` answers, found by scoring every name of every visible record: the
        baseline that ``screen``'s blocking is measured against."""
        tokens = name_tokens(query.name, query.kind) if query.name else ()
        best = _Best(visible, query.kind)
        for slot in range(len(self._records)):
            if tokens or compare_identifiers(query.identifiers, self._records[slot]) == 1.0:
                self._score_record(query, tokens, slot, best)
        return best.ranked(limit, threshold)

    def _identifier_slots(self, query: Query) -> Iterator[int]:
        """Slots of records filed under one of the query's identifiers and still holding it."""
        found: set[int] = set()
        for value in query.identifiers:
            found.update(self._identifiers.get(identifier_key(value), ()))
        for slot in sorted(found):
            if compare_identifiers(query.identifiers, self._records[slot]) == 1.0:
                yield slot

    def _score_record(self, query: Query, tokens: tuple[str, ...], slot: int, best: _Best) -> None:
        """Score every live name of one record (or the record alone if it has none, or the query
        gives no name) and offer the hits."""
        record = self._records[slot]
        if not best.admits(slot, record):
            return
        numbers = [n for n in self._numbers(slot) if self._name_slot[n] == slot]
        if not tokens or not numbers:
            best.offer(score(query, tokens, record, None, None, ()))
            return
        for number in numbers:
            self._score_name(query, tokens, record, number, best)

    def _score_name(
        self, query: Query, tokens: tuple[str, ...], record: ProfileRecord, number: int, best: _Best
    ) -> None:
        position = self._name_pos[number]
        if position >= len(record.names):
            return
        name, name_type = record.names[position]
        name_tokens = tuple(self._name_text[number].split())
        best.offer(score(query, tokens, record, name, name_type, name_tokens))

    def _score_candidates(self, query: Query, tokens: tuple[str, ...], best: _Best) -> None:
        """Score the most promising candidate names the caller may see, up to the cap."""
        for number in self._ranked_candidates(tokens, best):
            slot = self._name_slot[number]
            self._score_name(query, tokens, self._records[slot], number, best)

    def _ranked_candidates(self, tokens: tuple[str, ...], best: _Best) -> list[int]:
        """Up to ``CANDIDATE_CAP`` candidate names, live and admitted by the caller, most
        promising first.

        The floor is set by the heaviest name the caller may see, not by the heaviest of all:
        names of other read points, closed rows or other kinds must not push out those that
        answer this one. The ``PRERANK`` heaviest by key sum are looked at first; lighter ones
        only while too few of those are admitted. When more than the cap remain, token-set ratio
        with the query picks which to score."""
        weights = self._candidate_weights(tokens)
        head = heapq.nlargest(PRERANK, weights, key=weights.__getitem__)
        admitted: list[int] = []
        floor = self._admit(head, weights, best, admitted, None)
        if len(admitted) < CANDIDATE_CAP and len(weights) > len(head):
            taken = set(head)
            rest = sorted(
                (number for number in weights if number not in taken),
                key=weights.__getitem__,
                reverse=True,
            )
            self._admit(rest, weights, best, admitted, floor)
        if len(admitted) <= CANDIDATE_CAP:
            return admitted
        texts = [self._name_text[number] for number in admitted]
        order = process.extract(
            " ".join(tokens), texts, scorer=token_set_ratio, processor=None, limit=CANDIDATE_CAP
        )
        return [admitted[position] for _, _, position in order]

    def _admit(
        self,
        numbers: list[int],
        weights: dict[int, float],
        best: _Best,
        admitted: list[int],
        floor: float | None,
    ) -> float | None:
        """Add to ``admitted`` the live names the caller may see, heaviest first, down to the
        floor (set by the first admitted); the floor. Stops once the cap would be reached
        twice over (enough to choose from) or the weights fall below the floor."""
        for number in numbers:
            weight = weights[number]
            if floor is not None and weight < floor:
                break
            slot = self._name_slot[number]
            if slot == _DEAD or not best.admits(slot, self._records[slot]):
                continue
            if floor is None:
                floor = WEIGHT_FLOOR * weight
            admitted.append(number)
            if len(admitted) >= PRERANK:
                break
        return floor

    def _candidate_weights(self, tokens: tuple[str, ...]) -> dict[int, float]:
        """For each name sharing a blocking key with the query, the summed inverse document
        frequency of the keys it shares; keys taken rarest first, too common ones left out once
        candidates exist."""
        keys = {key for token in tokens for key in token_keys(token)}
        blocks = sorted(
            (postings for key in keys if (postings := self._postings.get(key))),
            key=len,
        )
        total = max(1, len(self._name_text))
        weights: dict[int, float] = {}
        for postings in blocks:
            if weights and len(postings) > SCAN_LIMIT:
                break
            weight = log(1.0 + total / len(postings))
            get = weights.get
            for number in postings:
                weights[number] = get(number, 0.0) + weight
        return weights
