"""Running the projector continuously: in a thread of the API process, or as its own process.

The runner projects whatever the log holds, then sleeps until it is nudged (a write in this
process) or until the poll interval passes (a write by another process). A failure is
logged and retried on the next round; the views are never left half updated, because each
batch commits with its tracking record or not at all.
"""

from __future__ import annotations

import threading

import structlog

from application.views.projector import Projector

log = structlog.get_logger("projection")


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
        while not self._stopping.is_set():
            try:
                self.projector.catch_up()
            except Exception:
                log.exception("projection failed; retrying")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
