"""The raw log, in order, for replication and independent audit.

Every stored event is shown, the reference claims included, with its position and stored
topic and the same fields the store holds, so that an auditor can replay the ledger
without trusting any view.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import Notification

from application.documents import event_document, iso, plain
from application.ledger import Ledger
from application.proofs.entries import entry_object
from application.proofs.tree import Leaf
from application.proofs.verification import b64
from application.receipts import event_type
from domain.errors import RuleViolation
from domain.link import Link
from domain.publications import PublicationLog
from domain.reference_claim import ReferenceClaim
from domain.subject import Subject

INTERNAL = {"originator_id", "originator_version", "originator_topic", "timestamp"}


def _aggregate_name(event: object) -> str:
    if isinstance(event, ReferenceClaim.Event):
        return "reference_claim"
    if isinstance(event, PublicationLog.Event):
        return "publication_log"
    return aggregate_name_of_topic(str(getattr(event, "TOPIC", "")))


def aggregate_name_of_topic(topic: str) -> str:
    """An aggregate's name from its events' stored topic ("sanctions-ledger:link:made" is a
    "link"), so that an aggregate added later shows in the log without a change here."""
    parts = topic.split(":")
    return parts[1].replace("-", "_") if len(parts) > 2 else "unknown"


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
    return logged(notification, ledger.mapper.to_domain_event(notification))


def logged(notification: Notification, event: Any) -> dict[str, Any]:
    """One stored event, decoded by the caller, as the raw log shows it."""
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
    if isinstance(event, Link.Event):
        return {**common, **_decision(event)}
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


def _decision(event: Link.Event) -> dict[str, Any]:
    """A decision about a pair of subjects (``domain.link``): attributed like a subject's
    events, its pair, evidence and effective time as its data."""
    cited = {"recorded_by", "source", "reason"}
    return {
        "aggregate": "link",
        "event_id": event.event_id,
        "recorded_by": plain(event.recorded_by),
        "source": plain(event.source),
        "reason": event.reason,
        "data": {
            key: plain(value)
            for key, value in vars(event).items()
            if key not in INTERNAL and key not in cited
        },
    }
