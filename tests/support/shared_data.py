"""Real published lists, read from the shared data folder outside the repository.

The data may not be copied into the repository (see ``shared/data/README.md``). Its folder is
``$LEDGER_SHARED_DATA``, by default ``shared/data`` next to the checkout; tests that need it
are skipped, saying why, when it is absent.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Collection
from pathlib import Path

import pytest

SHARED_DATA_VARIABLE = "LEDGER_SHARED_DATA"
REPOSITORY = Path(__file__).resolve().parents[2]
SDN_HISTORY = "ofac-sdn/sdn-history-2021-08-18-to-2024-05-03.tar.xz"
OFAC_SET = "ofac-sdn/sdn-alt-add-2022-01-31.tar.xz"
UN_LISTS = "un-sc/un-sc-consolidated-2018.tar.xz"


def shared_data() -> Path:
    """The shared data folder: ``$LEDGER_SHARED_DATA`` or ``../shared/data``."""
    configured = os.environ.get(SHARED_DATA_VARIABLE)
    return Path(configured) if configured else REPOSITORY / ".." / "shared" / "data"


def unpack(archive: str, members: Collection[str], target: Path) -> Path:
    """Extract only ``members`` of a shared ``.tar.xz`` into ``target``; skip if it is absent."""
    path = shared_data() / archive
    if not path.is_file():
        pytest.skip(f"real list data not found at {path} (set {SHARED_DATA_VARIABLE})")
    wanted = set(members)
    with tarfile.open(path, "r:xz") as tar:
        for member in tar:
            if member.name in wanted:
                tar.extract(member, target, filter="data")
                wanted.discard(member.name)
            if not wanted:
                break
    assert not wanted, f"{archive} lacks {sorted(wanted)}"
    return target
