"""Event recorders that let a write run one more statement in the transaction of its events,
and let one transaction hold several writes.

The ``eventsourcing`` library stores a save's events in one transaction but offers no way to
add anything to it. The ledger needs exactly that once: an idempotency claim must be marked
committed together with the events of its write, or not at all (see
``application.idempotency``). These recorders take a hook as the ``within_transaction``
keyword of ``Application.save``, which the library hands down to the recorder, and run it
with the transaction's cursor before the events are inserted: if the hook raises, nothing
is stored; if the insert fails, the hook's change is rolled back with it.

A save may also carry ``Shares`` (the ``shares`` keyword): the writes of a group commit
(``application.group_commit``), in order, each with its number of events and its own hook.
Each write's transaction boundary is recorded on its own (``application.commits``), so a
reader never sees half of one write. The hooks run in order before any event is inserted; a
hook that refuses its write (raises a ``LedgerError``, such as a lost idempotency claim) ends
the transaction at the writes before it: those are stored and committed, none after it is,
and the save then raises ``ShareRefused``. Writes after the refused one may have been
checked on its effects, so they are not stored here but checked again by the caller. Every
store behaves so, the in-memory one included, whose hooks cannot be rolled back.

This module holds what every store shares; each store's recorder class is in its own module
(``application.stores.sqlite``, ``.postgres``, ``.memory``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import StoredEvent

from application import commits
from application.proofs import keeping
from domain.errors import LedgerError

WITHIN_TRANSACTION = "within_transaction"
SHARES = "shares"
Hook = Callable[[Any], None]
"""Called with the transaction's cursor (``None`` in memory, where a lock stands in for it)."""


@dataclass(frozen=True)
class Share:
    """One write's part of a transaction that stores several: its events, in order, and the
    hook to run for it."""

    size: int
    hook: Hook | None = None


class Shares:
    """The writes one save stores, and how far the transaction got through them."""

    def __init__(self, shares: Sequence[Share], *, whole: bool = False) -> None:
        self.shares = tuple(shares)
        self.whole = whole
        """A save of one write, whose refusal raises the hook's own error."""
        self.refused: tuple[int, LedgerError] | None = None
        self.kept = 0
        """How many of the save's events the transaction stores: the writes' before the
        refused one, or all."""

    def run_hooks(self, cursor: Any) -> int:
        """Run each write's hook in order, up to the first that refuses its write; the number
        of events to store."""
        self.refused, self.kept = None, 0
        for index, share in enumerate(self.shares):
            if share.hook is not None:
                try:
                    share.hook(cursor)
                except LedgerError as error:
                    self.refused = (index, error)
                    break
            self.kept += share.size
        return self.kept

    def spans(self, ids: Sequence[int]) -> list[tuple[int, int]]:
        """The transaction-boundary rows of the stored writes, one for each of two or more
        events."""
        sizes = [share.size for share in self.shares]
        return commits.spans(ids, sizes)


class ShareRefused(Exception):
    """A hook refused its write: the writes before it were stored and committed (their
    positions in ``ids``), the refused one and those after it were not."""

    def __init__(self, index: int, error: LedgerError, ids: Sequence[int]) -> None:
        super().__init__(error.detail)
        self.index = index
        self.error = error
        self.ids = tuple(ids)


def with_shares(kwargs: dict[str, Any], count: int) -> dict[str, Any]:
    """The save's keywords with its writes: those it was given, or the save as one write
    with its hook."""
    if kwargs.get(SHARES) is not None:
        return kwargs
    return {
        **kwargs,
        SHARES: Shares([Share(count, kwargs.get(WITHIN_TRANSACTION))], whole=True),
    }


def prepared(kwargs: dict[str, Any], stored_events: Sequence[StoredEvent]) -> dict[str, Any]:
    """The save's keywords with its writes (``with_shares``) and its events' Merkle entries
    (``application.proofs.keeping``): all a recorder prepares before its transaction."""
    return keeping.with_entries(with_shares(kwargs, len(stored_events)), stored_events)


def shares_of(kwargs: dict[str, Any]) -> Shares:
    shares: Shares = kwargs[SHARES]
    return shares


def raise_refusal(kwargs: dict[str, Any], ids: Sequence[int] | None) -> None:
    """After the commit: tell the caller which write was refused, if one was."""
    shares = shares_of(kwargs)
    if shares.refused is None:
        return
    if shares.whole:
        raise shares.refused[1]
    raise ShareRefused(*shares.refused, ids or ())
