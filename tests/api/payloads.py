"""Request bodies the HTTP tests send."""

from __future__ import annotations

from typing import Any

OFAC = {"authority": "US-OFAC", "reference": "SDN list 2021-12-10", "published_on": "2021-12-10"}


def subject(name: str = "SOIN, Dmitriy Yurevich", reference: str = "34021") -> dict[str, Any]:
    return {
        "kind": "person",
        "profile": {
            "names": [{"value": name}, {"value": "SOYIN, Dmitriy Yuryevich", "type": "aka"}],
            "birth_dates": ["1969-08-07"],
            "nationalities": ["Russia"],
        },
        "references": [{"authority": "US-OFAC", "id": reference}],
        "effective_at": "2021-12-10",
        "source": OFAC,
    }


def designation(
    start: str = "2021-12-10", programs: tuple[str, ...] = ("DPRK3",)
) -> dict[str, Any]:
    return {
        "authority": "US-OFAC",
        "programs": list(programs),
        "legal_basis": "E.O. 13722",
        "effective_from": start,
        "source": OFAC,
    }
