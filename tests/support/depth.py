"""How hard the property tests try: a quick run for ``make test``, a deep one in CI.

``make test`` must stay quick on a busy machine, so the property tests draw fewer examples
there; CI sets ``LEDGER_TEST_DEEP=1`` (see ``.ci/run``) and draws the full number.
"""

from __future__ import annotations

import os

DEEP = os.environ.get("LEDGER_TEST_DEEP", "") not in ("", "0")


def examples(quick: int, deep: int) -> int:
    return deep if DEEP else quick
