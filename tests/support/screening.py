"""The founding example's SOIN as the screening tests ask for him and find him, the media type
of a problem document, and how many screening receipts a ledger keeps."""

from __future__ import annotations

from application.bootstrap import Services
from application.demo.founding_example import demo_subject_id

PROBLEM = "application/problem+json"
SOIN = "SOIN, Dmitriy Yurevich"
SOIN_ID = str(demo_subject_id("ofac-34021"))
ASKED = "Dmitry Yurevich Soin"


def receipts_kept(services: Services) -> int:
    with services.tables.transaction(commit=False) as statements:
        statements.execute("SELECT COUNT(*) AS n FROM {ledger_screenings}")
        row = statements.fetchone()
    assert row is not None
    return int(row["n"])
