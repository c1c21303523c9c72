"""Rebuilding the views on every core: the log split by aggregate.

An event's view rows depend on its own aggregate's stream alone (a subject's measure and
profile rows, a link's rows), so the log splits cleanly by aggregate id. Each of ``parts``
processes reads the whole log and projects the events of its share of the aggregates into
scratch views of its own (a SQLite file, a PostgreSQL schema: each store's views say where,
``SplitViews``), with the ledger's own ``Projector`` told which share is its. The rebuilding
process then replaces the views with the parts' rows in one transaction, puts right the one
column that reads across aggregates (a log row's ``known_from``: the latest recorded time up
to that row) and builds the read-only indexes again, as a rebuild in one process does.

Until that transaction commits, the views stay as they were: readers go on reading the old
views rather than views filling up, and a rebuild stopped on the way leaves them whole. The
in-memory store, which no other process can reach, rebuilds in one process, and so does a log
too short to pay for starting the processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast
from uuid import UUID

import structlog
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import get_topic, resolve_topic

from application.collector import full_passes_held_off
from application.views.store import ViewStore

if TYPE_CHECKING:
    from application.views.projector import Projector

log = structlog.get_logger("projector")

EVENTS_PER_PART = 25_000
"""The fewest events worth a process of their own: starting one (the interpreter and the
ledger's modules) costs about 0.6 s, what one process projects in about 3,000 events."""
MAX_PARTS = 4
"""No more processes than this: each holds what a projector remembers (some 400 MiB at most)."""


@dataclass(frozen=True)
class Share:
    """The aggregates one part of a split rebuild projects: those whose id leaves
    ``number`` when divided by ``parts``."""

    number: int
    parts: int

    def holds(self, aggregate_id: UUID | str) -> bool:
        as_uuid = aggregate_id if isinstance(aggregate_id, UUID) else UUID(aggregate_id)
        return as_uuid.int % self.parts == self.number


class SplitViews(Protocol):
    """What a store's views offer a split rebuild."""

    @property
    def splits(self) -> bool:
        """Whether other processes can reach these views' database."""

    def part_places(self, parts: int) -> AbstractContextManager[list[str]]:
        """A scratch place for each part (a file, a schema), gone afterwards; ``OSError`` or
        the library's ``PersistenceError`` where none can be made (a read-only folder, a
        database user who may not create schemas)."""

    @staticmethod
    def part_views(env: Mapping[str, str], place: str) -> ViewStore:
        """In a part's process: empty views of the same tables at ``place``, their read-only
        indexes set aside."""

    def take_parts(self, places: Sequence[str], until: int) -> None:
        """Replace the views' rows with the parts' in one transaction, at ``until``."""

    def position(self) -> int: ...


def parts_for(views: ViewStore, events: int, cpus: int | None = None) -> int:
    """How many processes should rebuild a log of ``events`` events into ``views``: 1 where
    the views cannot be split (in memory) or the log is too short to pay."""
    if not getattr(views, "splits", False):  # in memory, or a store with no scratch place
        return 1
    available = cpus if cpus is not None else usable_cores()
    return max(1, min(available, MAX_PARTS, events // EVENTS_PER_PART))


def usable_cores() -> int:
    """The cores this process may run on (a container's share, where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def rebuild_split(projector: Projector, parts: int) -> int | None:
    """Project the log up to its present end in ``parts`` processes, then put their rows in
    place of the views; the views' position. None, having changed nothing, where the parts
    have no scratch place to write to (a rebuild in one process needs none)."""
    views = cast(SplitViews, projector.views)
    assert views.splits, "views in memory do not split"
    until = projector.ledger.last_position()
    # What the ledger's environment adds to the process's: the children inherit the rest.
    env = {
        key: value for key, value in projector.ledger.env.items() if os.environ.get(key) != value
    }
    log.info("projecting the whole log again, split", parts=parts, until=until)
    with ExitStack() as scratch:
        try:
            places = scratch.enter_context(views.part_places(parts))
        except (OSError, PersistenceError) as error:
            log.warning("no scratch place for the parts of the rebuild", error=str(error))
            return None
        _run_parts(get_topic(type(views)), env, places, until)
        with projector.indexes_set_aside(), projector.lock:
            projector.subjects.clear()  # the views change under what it remembers
            views.take_parts(places, until)
    return views.position()


def _run_parts(views_topic: str, env: dict[str, str], places: list[str], until: int) -> None:
    """Each part in a new interpreter of its own, running this module: a forked copy of a
    process with threads (a server's) could inherit a lock some thread held, and a child
    started by ``multiprocessing`` would run the parent's main script again. The children
    import the modules the parent imported (its ``sys.path``), read what they are to do from
    their standard input, where no other user of the machine can read it (a database
    password, say), and stop when it closes: a rebuild stopped, however, stops its parts."""
    paths = os.pathsep.join(path for path in sys.path if path)
    children: list[subprocess.Popen[bytes]] = []
    try:
        for number, place in enumerate(places):
            child = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                env={**os.environ, "PYTHONPATH": paths},
            )
            children.append(child)
            assert child.stdin is not None
            argument = _part_argument(views_topic, env, place, number, len(places), until)
            child.stdin.write(argument.encode() + b"\n")
            child.stdin.flush()
        codes = [child.wait() for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            if child.stdin is not None:
                child.stdin.close()
    if any(codes):
        raise RuntimeError(
            f"the rebuild stopped, the views are as they were (its parts exited with {codes})"
        )


def _part_argument(
    views_topic: str, env: dict[str, str], place: str, number: int, parts: int, until: int
) -> str:
    """What a part's process is told."""
    return json.dumps([views_topic, env, place, number, parts, until])


def project_part(
    views_topic: str, env: dict[str, str], place: str, share: Share, until: int
) -> None:
    """In a part's process: project its share of the log up to ``until`` into views at
    ``place``."""
    from application.ledger import Ledger
    from application.views.projector import REBUILD_BATCH, Projector

    ledger = Ledger(env=env)
    views_class: Any = resolve_topic(views_topic)
    views = views_class.part_views({**os.environ, **env}, place)
    try:
        part = Projector(ledger, views, REBUILD_BATCH, share=share)
        with full_passes_held_off():
            part.catch_up(until)
    finally:
        views.datastore.close()
        ledger.close()


def _stop_with_parent() -> None:
    """In a part's process: end it once the rebuilding process closes its standard input
    (it keeps it open until the part ends, and the system closes it if it dies). Read from
    the descriptor itself: a thread blocked in ``sys.stdin`` would hold its lock, which the
    interpreter takes on its way out."""
    while os.read(sys.stdin.fileno(), 4096):
        pass
    os._exit(PARENT_GONE)


PARENT_GONE = 3

if __name__ == "__main__":  # a part's process (``_run_parts``)
    topic, env, place, number, parts, until = json.loads(sys.stdin.readline())
    threading.Thread(target=_stop_with_parent, daemon=True).start()
    project_part(topic, env, place, Share(number, parts), until)
