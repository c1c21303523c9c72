"""Real published lists for the importer tests, unpacked once per session from shared data.

The data lives outside the repository (see ``shared/data/README.md``) and may not be copied
into it. Its folder is ``$LEDGER_SHARED_DATA``, by default ``shared/data`` next to the
checkout; tests that need it are skipped, saying why, when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.shared_data import OFAC_SET, SDN_HISTORY, UN_LISTS, unpack

SDN_BEFORE = "sdn/sdn_2021-12-09T185056Z.csv"
SDN_HUMAN_RIGHTS_DAY = "sdn/sdn_2021-12-10T185016Z.csv"
SDN_NEWEST = "sdn/sdn_2024-05-03T184323Z.csv"
UN_DATES = ("2018-06-07", "2018-06-21", "2018-08-24", "2018-10-29")


@pytest.fixture(scope="session")
def sdn_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three dated copies of sdn.csv: 2021-12-09, 2021-12-10 and the newest, 2024-05-03."""
    members = (SDN_BEFORE, SDN_HUMAN_RIGHTS_DAY, SDN_NEWEST)
    return unpack(SDN_HISTORY, members, tmp_path_factory.mktemp("sdn-history"))


@pytest.fixture(scope="session")
def ofac_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The complete sdn.csv, alt.csv and add.csv set of 2022-01-31."""
    folder = "ofac-sdn-2022-01-31"
    members = [f"{folder}/{name}" for name in ("sdn.csv", "alt.csv", "add.csv")]
    return unpack(OFAC_SET, members, tmp_path_factory.mktemp("ofac-set")) / folder


@pytest.fixture(scope="session")
def un_lists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The four UN consolidated lists of 2018, oldest first."""
    members = [f"un-sc-consolidated/consolidated_{day}.xml" for day in UN_DATES]
    target = unpack(UN_LISTS, members, tmp_path_factory.mktemp("un-lists"))
    return [target / member for member in members]
