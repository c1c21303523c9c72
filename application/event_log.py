"""The raw log, in order, for replication and independent audit.

Every stored event is shown, the reference claims included, with its position and stored
topic and the same fields the store holds, so that an auditor can replay the ledger
without trusting any view.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from application.documents import event_document, iso, plain
from application.ledger import Ledger, event_type
from application.proofs.entries import entry_object
from application.proofs.tree import Leaf
from application.proofs.verification import b64
from domain.errors import RuleViolation
from domain.publications import PublicationLog
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject

INTERNAL = {"originator_id", "originator_version", "originator_topic", "timestamp"}


def _aggregate_name(event: object) -> str:
    if isinstance(event, ReferenceClaim.Event):
        return "reference_claim"
    if isinstance(event, PublicationLog.Event):
        return "publication_log"
    raise TypeError(f"an event of no known aggregate: {type(event).__name__}")


def read_log(ledger: Ledger, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """Up to ``limit`` events after position ``after``, and the position to continue after."""
    notifications = ledger.recorder.select_notifications(
        start=after, limit=limit, inclusive_of_start=False
    )
    leaves = (
        ledger.merkle.leaves_between(notifications[0].id, notifications[-1].id)
        if notifications
        else {}
    )
    items = [
        {**_logged(ledger, notification), **_leaf(notification, leaves.get(notification.id))}
        for notification in notifications
    ]
    more = len(notifications) == limit
    return items, notifications[-1].id if more else None


def _leaf(notification: Notification, leaf: Leaf | None) -> dict[str, Any]:
    """The event's entry, as its leaf hashes it, and where the leaf is in the tree."""
    if leaf is None:  # Only a log changed behind the ledger's back has no leaf here.
        raise RuleViolation(
            f"the event at position {notification.id} has no leaf in the Merkle tree: "
            "run 'ledger verify'"
        )
    entry = entry_object(
        notification.id,
        notification.originator_id,
        notification.originator_version,
        notification.topic,
        notification.state,
    )
    return {"entry": entry, "leaf_index": leaf.index, "leaf_hash": b64(leaf.hash)}


def _logged(ledger: Ledger, notification: Notification) -> dict[str, Any]:
    event: Any = ledger.mapper.to_domain_event(notification)
    common = {
        "position": notification.id,
        "aggregate_id": str(notification.originator_id),
        "version": notification.originator_version,
        "type": event_type(event),
        "topic": notification.topic,
        "recorded_at": iso(event.timestamp),
    }
    if isinstance(event, Subject.Event):
        document = event_document(event, notification.id)
        return {
            **common,
            "aggregate": "subject",
            "event_id": document["event_id"],
            "recorded_by": document["recorded_by"],
            "source": document["source"],
            "reason": document["reason"],
            "data": document["data"],
        }
    data = {key: plain(value) for key, value in vars(event).items() if key not in INTERNAL}
    return {
        **common,
        "aggregate": _aggregate_name(event),
        "event_id": None,
        "recorded_by": None,
        "source": None,
        "reason": None,
        "data": data,
    }
