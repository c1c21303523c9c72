"""A projection worker killed with SIGKILL in the middle of its work, then started again,
leaves the views equal to a full replay of the log."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from application.bootstrap import bootstrap
from application.commands import Citation, Command, ImposeMeasure, RecordAction, RegisterSubject
from application.settings import Settings
from domain.values import (
    Actor,
    Authority,
    MeasureKind,
    Name,
    Profile,
    Reference,
    Source,
    SubjectKind,
)
from tests.support.server import LEDGER, ledger_command

SUBJECTS = 2400
CITED = Citation(source=Source(Authority.US_OFAC, "load"))


def fill(database_url: str) -> int:
    """Record many subjects, each designated; return the last log position."""
    services = bootstrap(Settings(database_url=database_url, projections="external"))
    try:
        for start in range(0, SUBJECTS, 400):
            items: list[Command] = []
            for n in range(start, start + 400):
                key = f"s{n}"
                items.append(
                    RegisterSubject(
                        kind=SubjectKind.ORGANIZATION,
                        profile=Profile((Name(f"COMPANY {n}"),)),
                        references=(Reference(Authority.US_OFAC, str(100000 + n)),),
                        citation=CITED,
                        key=key,
                    )
                )
                items.append(
                    ImposeMeasure(
                        subject=key,
                        kind=MeasureKind.DESIGNATION,
                        authority=Authority.US_OFAC,
                        programs=("SDGT",),
                        effective_from=datetime(2022, 1, 1, tzinfo=UTC),
                        citation=CITED,
                    )
                )
            services.ledger.execute(RecordAction(tuple(items)), Actor("load", "load"))
        return services.ledger.last_position()
    finally:
        services.close()


def views_position(database_url: str) -> int:
    services = bootstrap(Settings(database_url=database_url, projections="external"))
    try:
        return services.views.position()
    finally:
        services.close()


def kill_when_started(worker: subprocess.Popen[bytes], database_url: str) -> None:
    """SIGKILL the worker as soon as its first batches have committed. One connection watches
    the views, so that the watching is quick next to the worker's work, even on a busy
    machine."""
    watcher = bootstrap(Settings(database_url=database_url, projections="external"))
    try:
        wait_until(lambda: watcher.views.position() > 0, 60)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        watcher.close()


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize("store_kind", ["sqlite", "postgres"], indirect=True)
def test_a_killed_worker_restarts_and_the_views_equal_a_replay(database_url: str) -> None:
    last = fill(database_url)
    worker = subprocess.Popen(
        [LEDGER, "project", "--database", database_url, "--batch-size", "20"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        kill_when_started(worker, database_url)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed_at = views_position(database_url)
    assert 0 < killed_at < last, "the worker was not killed in the middle of its work"

    again = ledger_command("project", "--database", database_url, "--once")
    assert again.returncode == 0, again.stderr
    assert views_position(database_url) == last
    checked = ledger_command("check", "--database", database_url)
    assert checked.returncode == 0, checked.stderr
    assert "equal a replay" in checked.stderr
