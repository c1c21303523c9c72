"""The ``ledger verify`` command, run in its own process on a database changed behind the
ledger's back: it fails and names the first bad position."""

from __future__ import annotations

from dataclasses import replace

from application.bootstrap import Services
from tests.support.events_table import Tampered, flip, flip_int
from tests.support.server import ledger_command


def command_verify(services: Services) -> tuple[int, str]:
    answer = ledger_command("verify", "--database", services.settings.database_url)
    return answer.returncode, answer.stdout + answer.stderr


def test_the_verify_command_names_the_first_bad_position(tampered: Tampered) -> None:
    table, original = tampered.table, tampered.original
    code, output = command_verify(tampered.services)
    assert code == 0 and f"Verified: {len(original)} events" in output, output
    record = original[250]
    cases = [
        ([record], [replace(record, state=flip(record.state, len(record.state) // 2))]),
        ([record], [replace(record, topic=flip(record.topic.encode(), 3).decode())]),
        ([record], [replace(record, version=flip_int(record.version, 0))]),
        ([record], []),
    ]
    for old, new in cases:
        table.replace(old, new)
        code, output = command_verify(tampered.services)
        assert code == 1, output
        assert f"the first bad position is {record.position}." in output, output
        assert f"position {record.position}:" in output, output
        tampered.restore()
