"""Running the projector continuously: in a thread of the API process, or as its own process.

The runner projects whatever the log holds, then sleeps until it is nudged (a write in this
process) or until the poll interval passes (a write by another process). The views are never
left half updated, because each batch commits with its tracking record or not at all.

Two kinds of failure are told apart. The database being unavailable (a restart, a crash) is
logged as a warning and retried, more slowly each time, until it is back. An event the
projector cannot project is a fault of the ledger's own: it is logged as an error naming the
position, kept in ``projector.failure`` for ``/ready`` to report, and retried with the same
growing pause (an upgrade that fixes the fault lets the views carry on from that position;
nothing is skipped, so the views never silently differ from the log).
"""

from __future__ import annotations

import threading

import structlog

from application.outages import is_unavailable
from application.views.projector import ProjectionFailed, Projector

log = structlog.get_logger("projection")
MAX_PAUSE_SECONDS = 30.0


class ProjectionRunner:
    def __init__(self, projector: Projector, poll_seconds: float = 0.5) -> None:
        self.projector = projector
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="projection", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run(self) -> None:
        pause = self.poll_seconds
        while not self._stopping.is_set():
            try:
                self.projector.catch_up()
                pause = self.poll_seconds
            except ProjectionFailed as failed:
                log.error("projection stopped", reason=failed.failure.describe(), exc_info=True)
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            except Exception as error:
                if is_unavailable(error):
                    log.warning("database unavailable; projecting again shortly", error=str(error))
                else:
                    log.exception("projection failed")
                pause = min(pause * 2, MAX_PAUSE_SECONDS)
            self._wake.wait(pause)
            self._wake.clear()
