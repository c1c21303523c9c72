"""The search for API key secrets written down (``tests.support.secrets.finder``), which
the session's last check relies on: with ``grep`` and with the regular expression it falls
back to, every planted secret is found wherever it lies, and nothing else is."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.support.secrets import finder, leaks_in_files

WAYS = ["grep", None]


def planted(words: list[bytes], noise: bytes) -> bytes:
    """The words amid binary noise: at the start, between NUL and newline bytes, inside
    longer runs of the same alphabet, and at the very end."""
    return b"".join(
        [words[0], noise, b"\x00\n", b"A" + words[1] + b"_z", noise, b"\xff" + words[2]]
    )


@pytest.mark.parametrize("tool", WAYS)
def test_every_planted_secret_is_found_and_nothing_else(tool: str | None) -> None:
    words = [secrets.token_urlsafe(32).encode() for _ in range(300)]
    noise = secrets.token_bytes(200_000)
    data = planted([words[7], words[150], words[299]], noise)
    found = finder(words, tool=tool)(data)
    assert sorted(found) == sorted([words[7], words[150], words[299]])
    assert finder(words, tool=tool)(noise) == []


@pytest.mark.parametrize("tool", WAYS)
def test_a_token_holding_its_secret_is_found(tool: str | None) -> None:
    secret = secrets.token_urlsafe(32).encode()
    token = b"sl_0123456789abcdef_" + secret
    found = finder([token, secret], tool=tool)(b'{"token": "' + token + b'"}')
    assert found in ([token], [secret])


@pytest.mark.parametrize("tool", WAYS)
def test_no_secrets_finds_nothing(tool: str | None) -> None:
    assert finder([], tool=tool)(b"anything") == []


@pytest.mark.parametrize("tool", WAYS)
def test_every_file_holding_a_secret_is_named_and_no_other(
    tool: str | None, tmp_path: Path
) -> None:
    words = [secrets.token_urlsafe(32).encode() for _ in range(50)]
    noise = secrets.token_bytes(50_000)
    (tmp_path / "deep" / "er").mkdir(parents=True)
    holding = {
        tmp_path / "ledger.db": planted([words[1], words[2], words[3]], noise),
        tmp_path / "deep" / "er" / "ledger.db-wal": noise + words[40],
    }
    clean = {tmp_path / "session.log": noise, tmp_path / "deep" / "empty": b""}
    for path, data in {**holding, **clean}.items():
        path.write_bytes(data)
    (tmp_path / "link").symlink_to(tmp_path / "ledger.db")
    leaks = leaks_in_files(tmp_path, words, tool=tool)
    assert sorted(leak.split(": ")[0] for leak in leaks) == sorted(
        [str(tmp_path / "ledger.db")] * 3 + [str(tmp_path / "deep" / "er" / "ledger.db-wal")]
    )
    assert leaks_in_files(tmp_path, [], tool=tool) == []
