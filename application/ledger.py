"""The sanctions ledger: the ``eventsourcing`` application that records and reads subjects.

Writes go through ``execute``: the command's aggregates are loaded, changed and saved in one
transaction. Writes that arrive together are stored together (``application.group_commit``):
each is checked on the state the writes before it left, and all that pass are stored in one
transaction, each with its own transaction boundary, receipt and idempotency claim. When
another writer (another process) got to the same subject first, the stale save fails on the
stream's version number; a command that did not pin a version is then simply redone on the
fresh state (its rules are checked again), so concurrent writers never lose a write.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    JSONTranscoder,
    Mapper,
    RecordConflictError,
    StoredEvent,
    Transcoder,
)

from application.commands import Command, RecordAction, RecordPublication
from application.errors import PreconditionFailed, WriteConflict
from application.group_commit import Notify, Overlay, Write, WriteQueue
from application.handlers import Ahead, Unit, handle, load_subject
from application.proofs.tree import MerkleTree
from application.read_ahead import claimed_by, read_aggregates, read_by
from application.receipts import WriteReceipt, event_type, receipt_of
from application.recorders import SHARES, Share, ShareRefused, Shares
from application.storable import check_storable
from application.stores import Store, store_of
from application.transcodings import (
    FastJSONTranscoder,
    TupleMapper,
    register_value_transcodings,
)
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject
from domain.text import check_all_text
from domain.values import Actor, Reference

if TYPE_CHECKING:
    from application.idempotency import Claim

Clock = Callable[[], datetime]
ATTEMPTS = 8


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Staged:
    """A write that passed its checks in a group: the aggregates it changed, its events in
    the order they are stored, their stored form, and what its transaction runs for it."""

    write: Write[WriteReceipt]
    aggregates: list[BaseAggregate[UUID]]
    events: list[Any]
    stored: list[StoredEvent]
    hook: Callable[[Any], None] | None


@dataclass
class Checked:
    """A group's writes once checked: to store, refused by their own rules, or to check
    again after the others are stored."""

    staged: list[Staged] = field(default_factory=list)
    refused: list[tuple[Write[WriteReceipt], Exception]] = field(default_factory=list)
    later: list[Write[WriteReceipt]] = field(default_factory=list)

    def store(
        self, stored: Callable[[list[Staged]], list[Write[WriteReceipt]]]
    ) -> list[Write[WriteReceipt]]:
        """Answer the refused writes and store the others with ``stored``: the writes to
        try again."""
        for write, error in self.refused:
            write.fail(error)
        return [*(stored(self.staged) if self.staged else []), *self.later]


class Ledger(Application[UUID]):
    name = "SanctionsLedger"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.listeners: list[Callable[[WriteReceipt], None]] = []
        """Called after every write, e.g. to wake the projector."""
        self._writes: WriteQueue[WriteReceipt] = WriteQueue(self._commit_and_tell)

    def construct_recorder(self) -> ApplicationRecorder:
        """A recorder that lets a write commit its idempotency claim with its events."""
        return self.store.recorder(self.factory)

    @property
    def merkle(self) -> MerkleTree:
        """The Merkle tree of the log, kept by the recorder (``application.proofs.tree``)."""
        tree: MerkleTree = getattr(self.recorder, "merkle")  # noqa: B009 - set by the store
        return tree

    @functools.cached_property
    def store(self) -> Store:
        """The store the ledger's events are in: the one whose library module ``env`` named."""
        return store_of(self.factory)

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON transcoder, written faster (``FastJSONTranscoder``), unless
        the environment names another."""
        if self.factory.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=TupleMapper)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    # Writing ----------------------------------------------------------------------------

    def execute(
        self, command: Command | RecordAction, actor: Actor, claim: Claim | None = None
    ) -> WriteReceipt:
        """Record a command or a whole action, all or nothing.

        With an idempotency ``claim``, the claim is marked committed in the transaction
        that stores the events; a claim an earlier attempt already committed answers with
        that attempt's receipt and records nothing. Returns once the write is committed.
        """
        if claim is not None and claim.recorded is not None:
            return self._located(claim.recorded)
        receipt = self._writes.submit(Write(command, actor, claim))
        self._tell(receipt)
        return receipt

    def enqueue(
        self,
        command: Command | RecordAction,
        actor: Actor,
        notify: Notify[WriteReceipt],
        waiter: object = None,
    ) -> None:
        """Record a command or a whole action, all or nothing, without waiting for it in this
        thread: ``notify`` is called, from the thread that committed it, with the finished
        writes of its group that share that ``notify`` (each with its ``waiter``, and its
        ``result`` or ``error``). The listeners have heard of each stored write by then."""
        self._writes.enqueue(Write(command, actor, None, notify=notify, waiter=waiter))

    def close(self) -> None:
        self._writes.close()
        super().close()

    def _tell(self, receipt: WriteReceipt) -> None:
        for listener in self.listeners:
            listener(receipt)

    def _commit_and_tell(self, writes: list[Write[WriteReceipt]]) -> None:
        """Commit a group; tell the listeners of its writes no thread waits for (a thread
        that waits tells them itself, once woken)."""
        self._commit_group(writes)
        for write in writes:
            if write.notify is not None and write.result is not None:
                self._tell(write.result)

    def _commit_group(self, writes: list[Write[WriteReceipt]]) -> None:
        """Answer every write of a group: stored, refused, or given up after meeting other
        writers again and again."""
        while writes:
            writes = self._check_group(writes).store(self._stored)

    def _check_group(self, writes: list[Write[WriteReceipt]]) -> Checked:
        """Check each write on the state the writes before it in the group left."""
        overlay = Overlay(self.repository, self._read_ahead(writes))
        checked = Checked()
        for write in writes:
            try:
                aggregates = self._checked(write, overlay)
                if overlay.created_twice(aggregates):
                    checked.later.append(write)  # After this group, it meets the first one.
                    continue
                checked.staged.append(self._staged(write, aggregates))
            except Exception as error:  # the write's own answer
                checked.refused.append((write, error))
                continue
            overlay.keep(aggregates)
        return checked

    def _read_ahead(self, writes: list[Write[WriteReceipt]]) -> Ahead | None:
        """What the writes will read from the store, known before they are checked.

        The reference claims of the subjects they register are taken to be absent, with no
        query: a reference is nearly always new, and a claim that does exist makes the
        transaction meet it on the claim's first version, after which each write is checked
        again reading everything (``_after_conflict``). The subjects a group changes are read
        in one query rather than one each; a write alone reads them as it goes: an import has
        read its aggregates ahead already, and reading them again would hold a publication's
        subjects twice."""
        ahead: Ahead = dict.fromkeys(
            claimed_by(write.command for write in writes if _assumes_new_claims(write))
        )
        if len(writes) > 1 and (ids := read_by(write.command for write in writes)):
            ahead.update(read_aggregates(self, ids))
        return ahead or None

    def _stored(self, staged: list[Staged]) -> list[Write[WriteReceipt]]:
        """Store the writes in one transaction and answer them; the writes to try again."""
        try:
            positions = self._store(staged)
        except ShareRefused as refused:
            _answer(staged[: refused.index], refused.ids)
            staged[refused.index].write.fail(refused.error)
            return [s.write for s in staged[refused.index + 1 :]]
        except RecordConflictError:
            return self._after_conflict(staged)
        _answer(staged, positions)
        return []

    def _checked(self, write: Write[WriteReceipt], overlay: Overlay) -> list[BaseAggregate[UUID]]:
        """The aggregates the write changes, checked against every rule."""
        command = write.command
        items = command.items if isinstance(command, RecordAction) else (command,)
        unit = Unit(overlay, write.actor, self.clock())
        for item in items:
            handle(_with_default_citation(item, command), unit)
        return unit.aggregates()

    def _staged(self, write: Write[WriteReceipt], aggregates: list[BaseAggregate[UUID]]) -> Staged:
        """The write's events taken from its aggregates, which the next write of the group
        then reads as they stand, and their stored form."""
        events = [event for aggregate in aggregates for event in aggregate.pending_events]
        stored = [self._stored_form(event) for event in events]
        plain = not (self.mapper.compressor or self.mapper.cipher)
        check_storable(
            [(event, s.state if plain else None) for event, s in zip(events, stored, strict=True)]
        )
        for aggregate in aggregates:
            aggregate.collect_events()
        claim = write.claim
        hook = None if claim is None else claim.commit_hook(receipt_of(events, None))
        return Staged(write, aggregates, events, stored, hook)

    def _stored_form(self, event: Any) -> StoredEvent:
        try:
            return self.mapper.to_stored_event(event)
        except UnicodeEncodeError:  # A lone surrogate: no UTF-8 holds it.
            check_all_text(vars(event), event_type(event))
            raise

    def _store(self, staged: list[Staged]) -> list[int]:
        """Store the writes in one transaction; their events' positions, in order."""
        shares = Shares([Share(len(s.stored), s.hook) for s in staged])
        stored = [event for each in staged for event in each.stored]
        return list(self.recorder.insert_events(stored, **{SHARES: shares}) or ())

    def _after_conflict(self, staged: list[Staged]) -> list[Write[WriteReceipt]]:
        """Another writer reached one of the group's streams first. Which write met it is
        unknown, so each is checked and stored alone, on the fresh state; a write alone is
        checked again at once if it took claims to be absent (``_read_ahead``), else redone
        a few times, or refused if it pinned the version it expected."""
        if len(staged) > 1:
            for each in staged:
                each.write.read_fresh = True
                self._commit_group([each.write])
            return []
        write = staged[0].write
        if _assumes_new_claims(write) and claimed_by([write.command]):
            write.read_fresh = True  # the claims it took to be absent may be what it met
            return [write]
        write.attempts += 1
        if _pinned(write.command):
            write.fail(PreconditionFailed("another write reached the subject first; read it again"))
        elif write.attempts >= ATTEMPTS:
            write.fail(
                WriteConflict(
                    f"the subject kept changing under this write ({ATTEMPTS} attempts); retry later"
                )
            )
        else:
            _back_off(write.attempts)
            return [write]
        return []

    # Reading ----------------------------------------------------------------------------

    def _located(self, receipt: WriteReceipt) -> WriteReceipt:
        """A receipt made before its events had log positions, with their positions."""
        positions = self.store.log_positions(self.recorder)
        found = {s: positions.of(s) for s in {e.subject_id for e in receipt.events}}
        events = tuple(replace(e, position=found[e.subject_id][e.version]) for e in receipt.events)
        return WriteReceipt(events, max((e.position for e in events), default=None))

    def subject(self, subject_id: UUID, version: int | None = None) -> Subject:
        """The subject as it is now, or as it was after its ``version``-th event."""
        return load_subject(self.repository, subject_id, version)

    def subject_id_for(self, reference: Reference) -> UUID | None:
        """The subject an authority's reference identifies, if any."""
        try:
            claim: object = self.repository.get(ReferenceClaim.id_for(reference))
        except AggregateNotFoundError:
            return None
        assert isinstance(claim, ReferenceClaim)
        holder = self.subject(claim.subject_id)
        return holder.id if reference in holder.state.references else None

    def last_position(self) -> int:
        return self.recorder.max_notification_id() or 0


def _back_off(attempt: int) -> None:
    """Wait a little, and a random amount, so that two writers stop colliding in step."""
    time.sleep(random.uniform(0, 0.005 * 2**attempt))


def _with_default_citation(item: Command, container: Command | RecordAction) -> Command:
    """An action's items cite the action's source unless they cite their own."""
    if (
        not isinstance(container, RecordAction)
        or isinstance(item, RecordPublication)
        or item.citation.source is not None
    ):
        return item
    citation = replace(
        item.citation,
        source=container.citation.source,
        reason=item.citation.reason or container.citation.reason,
    )
    return replace(item, citation=citation)


def _assumes_new_claims(write: Write[WriteReceipt]) -> bool:
    """Whether the write takes the claims of the references it registers to be absent: until
    it meets another writer, after which it reads everything (``Ledger._read_ahead``)."""
    return not (write.read_fresh or write.attempts)


def _pinned(command: Command | RecordAction) -> bool:
    items = command.items if isinstance(command, RecordAction) else (command,)
    return any(getattr(item, "expected_version", None) is not None for item in items)


def _answer(staged: Sequence[Staged], positions: Sequence[int]) -> None:
    """Give each stored write its receipt: its own events at their own positions."""
    start = 0
    for each in staged:
        end = start + len(each.events)
        each.write.succeed(receipt_of(each.events, positions[start:end], each.aggregates))
        start = end
